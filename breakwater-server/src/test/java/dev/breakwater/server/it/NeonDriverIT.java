package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Neon's serverless driver itself, {@code @neondatabase/serverless} 1.2.0 with {@code ws}, run by
 * Node.js against Breakwater's HTTP listener: {@code neon()} over {@code POST /sql} and
 * Pool/Client over the WebSocket {@code /v2}. The driver is installed with npm into
 * target/neon-driver on first use; the tests are skipped, saying why, when node or npm is missing
 * or the install fails. Each check is a function of src/test/resources/clients/neon_driver_check.js.
 * Transaction pooling; {@code -Dbreakwater.neonDriver.poolMode=session} runs the same checks in
 * session mode (they pass there too).
 */
class NeonDriverIT {

  static final Path DIR = Path.of("target", "neon-driver").toAbsolutePath();
  static Pooler pooler;
  static int httpPort;
  static String unavailable;

  @BeforeAll
  static void start() throws Exception {
    unavailable = install();
    if (unavailable != null) {
      return;
    }
    httpPort = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_addr", "127.0.0.1")
            .set("http_listen_port", Integer.toString(httpPort))
            .set("http_serverless", "1")
            .poolSize(3)
            .poolMode(System.getProperty("breakwater.neonDriver.poolMode", "transaction"))
            .start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
  }

  private record Result(int exit, String output) {}

  private static Result run(Map<String, String> env, Path dir, String... command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    boolean done = p.waitFor(240, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
      return new Result(-1, out + "\n(timed out)");
    }
    return new Result(p.exitValue(), out);
  }

  /** Installs the driver unless it is there; null when it is, else why not. */
  private static String install() {
    try {
      Files.createDirectories(DIR);
      Path script = DIR.resolve("neon_driver_check.js");
      try (InputStream in = NeonDriverIT.class.getResourceAsStream("/clients/neon_driver_check.js")) {
        Files.copy(in, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      Path root = Path.of("").toAbsolutePath();
      while (root != null && !Files.isDirectory(root.resolve("examples/edge"))) {
        root = root.getParent();
      }
      if (root != null) {
        Files.copy(root.resolve("examples/edge/worker.mjs"), DIR.resolve("worker.mjs"),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
      if (run(Map.of(), DIR, "node", "--version").exit() != 0) {
        return "node is not installed";
      }
      if (Files.isDirectory(DIR.resolve("node_modules/@neondatabase/serverless"))
          && Files.isDirectory(DIR.resolve("node_modules/ws"))) {
        return null;
      }
      Result r = run(Map.of(), DIR, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error",
          "--prefix", DIR.toString(), "@neondatabase/serverless@1.2.0", "ws@8");
      if (r.exit() != 0) {
        return "npm could not install @neondatabase/serverless and ws: " + r.output();
      }
      return null;
    } catch (IOException | InterruptedException e) {
      return "cannot run node or npm: " + e;
    }
  }

  private static Result check(String name, Map<String, String> more) throws Exception {
    assumeTrue(unavailable == null, unavailable);
    String users =
        "{\"" + Roles.PLAIN + "\":\"" + Roles.password(Roles.PLAIN) + "\",\"" + Roles.MD5 + "\":\""
            + Roles.password(Roles.MD5) + "\",\"" + Roles.SCRAM + "\":\"" + Roles.password(Roles.SCRAM) + "\"}";
    Map<String, String> env = new java.util.HashMap<>(Map.of(
        "BW_CHECK", name,
        "BW_HTTP", "127.0.0.1:" + httpPort,
        "BW_PORT", Integer.toString(pooler.port()),
        "BW_USERS", users,
        "NODE_PATH", DIR.resolve("node_modules").toString()));
    env.putAll(more);
    Result r = run(env, DIR, "node", DIR.resolve("neon_driver_check.js").toString());
    assertThat(r.exit()).as(r.output()).isZero();
    assertThat(r.output()).contains("OK " + name);
    return r;
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "httpParams", "httpTypes", "httpArrayModeFullResults", "httpTransaction", "httpErrors", "httpUsers",
    "httpLargeResult", "wsPoolTransaction", "wsClientBothLogins", "wsListenNotify", "wsDisconnectMidTransaction",
    "edgeExample"
  })
  void driverCheck(String name) throws Exception {
    check(name, Map.of());
  }

  @Test
  void manyConcurrentHttpRequestsOnASmallPool() throws Exception {
    assumeTrue(unavailable == null, unavailable);
    int[] max = new int[1];
    Thread watch = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          max[0] = Math.max(max[0], pooler.backendsOf(Roles.MD5));
          Thread.sleep(10);
        }
      } catch (Exception e) {
        // interrupted or stopped
      }
    });
    watch.start();
    try {
      check("httpConcurrent", Map.of("BW_CONCURRENT", "100"));
    } finally {
      watch.interrupt();
      watch.join();
    }
    assertThat(max[0]).as("servers PostgreSQL saw for the pool of 3").isLessThanOrEqualTo(3);
    assertThat(List.of(max[0])).isNotEmpty();
  }
}
