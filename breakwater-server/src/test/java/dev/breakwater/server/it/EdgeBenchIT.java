package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The figures of issue 19 (run by {@code bench/edge}, skipped otherwise): latency of a one-row query
 * over HTTP ({@code neon()}), over a WebSocket ({@code Client}) and over TCP (node-postgres) through
 * Breakwater in the same run, and requests per second of {@code neon()} at 10 and 100 concurrent
 * requests against a pool of 10, with the pooler's CPU per request. Breakwater runs in this JVM
 * against the embedded PostgreSQL, so its CPU is this process's (the test's own share is small);
 * node runs the driver. Writes bench/results/edge-&lt;date&gt;.md.
 */
class EdgeBenchIT {

  static final Path DIR = Path.of("target", "neon-bench").toAbsolutePath();

  private static String run(Map<String, String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(DIR.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    boolean done = p.waitFor(600, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(done).as(out).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out.strip();
  }

  private static long cpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }

  @Test
  void edgeFigures() throws Exception {
    assumeTrue(Boolean.getBoolean("breakwater.edgeBench"), "run by bench/edge (-Dbreakwater.edgeBench=true)");
    // The tests run with paranoid leak detection (a stack trace per buffer): not what is measured.
    io.netty.util.ResourceLeakDetector.Level level = io.netty.util.ResourceLeakDetector.getLevel();
    io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
    try {
      figures();
    } finally {
      io.netty.util.ResourceLeakDetector.setLevel(level);
    }
  }

  private void figures() throws Exception {
    Files.createDirectories(DIR);
    try (InputStream in = EdgeBenchIT.class.getResourceAsStream("/clients/neon_bench.js")) {
      Files.copy(in, DIR.resolve("neon_bench.js"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(DIR.resolve("node_modules/pg"))) {
      run(Map.of(), "npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", DIR.toString(),
          "@neondatabase/serverless@1.2.0", "ws@8", "pg@8");
    }
    int http = TestPostgres.freePort();
    try (Pooler pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(http))
            .set("http_serverless", "1")
            .poolSize(10)
            .start()) {
      Map<String, String> env = new HashMap<>();
      env.put("BW_HTTP", "127.0.0.1:" + http);
      env.put("BW_URL", "postgresql://" + Roles.SCRAM + ":" + Roles.password(Roles.SCRAM) + "@127.0.0.1:" + pooler.port()
          + "/" + Roles.DATABASE);
      env.put("NODE_PATH", DIR.resolve("node_modules").toString());
      StringBuilder report = new StringBuilder();
      report.append("# Edge endpoints: Neon's driver through Breakwater\n\n")
          .append("Written by `bench/edge` (EdgeBenchIT) on ").append(LocalDateTime.now().withNano(0))
          .append(", ").append(Runtime.getRuntime().availableProcessors()).append(" cores. Breakwater in the test JVM")
          .append(" (transaction pooling, pool of 10, SCRAM user, Netty leak detection off), the embedded PostgreSQL, node ")
          .append(run(Map.of(), "node", "--version")).append(" running `@neondatabase/serverless` 1.2.0.\n\n");
      env.put("BW_BENCH", "latency");
      env.put("BW_N", System.getProperty("breakwater.edgeBench.n", "2000"));
      String latency = run(env, "node", "neon_bench.js");
      Map<String, Object> l = JsonReader.object(latency);
      report.append("## One-row query latency (`SELECT 1`), one after another, interleaved\n\n")
          .append("| path | p50 ms | p99 ms | queries |\n| --- | ---: | ---: | ---: |\n");
      for (String k : new String[] {"http", "ws", "wsDirect", "tcp"}) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) l.get(k);
        report.append(String.format("| %s | %.3f | %.3f | %.0f |%n",
            k.equals("http") ? "HTTP `neon()`" : k.equals("ws") ? "WebSocket `Client`"
                : k.equals("wsDirect") ? "WebSocket `Client`, `coalesceWrites: false`" : "TCP node-postgres",
            (Double) m.get("p50"), (Double) m.get("p99"), (Double) m.get("n")));
      }
      report.append("\nThe driver's `coalesceWrites` (on by default) sends a turn's writes after `setTimeout(0)`,")
          .append(" at least 1 ms in Node: the row without it shows the WebSocket path itself.\n");
      report.append("\n## `neon()` throughput against a pool of 10\n\n")
          .append("| concurrent requests | requests/s | p50 ms | p99 ms | errors | pooler CPU µs/request |\n")
          .append("| ---: | ---: | ---: | ---: | ---: | ---: |\n");
      for (int c : new int[] {10, 100}) {
        env.put("BW_BENCH", "throughput");
        env.put("BW_CONCURRENCY", Integer.toString(c));
        env.put("BW_SECONDS", System.getProperty("breakwater.edgeBench.seconds", "10"));
        long cpu0 = cpuNanos();
        Map<String, Object> t = JsonReader.object(run(env, "node", "neon_bench.js"));
        long cpu = cpuNanos() - cpu0;
        double requests = (Double) t.get("requests");
        double seconds = (Double) t.get("seconds");
        report.append(String.format("| %d | %.0f | %.2f | %.2f | %.0f | %.0f |%n", c, requests / seconds,
            (Double) t.get("p50"), (Double) t.get("p99"), (Double) t.get("errors"), cpu / 1000.0 / requests));
      }
      report.append("\nThe machine is shared: compare the rows of one run, not runs.\n");
      Path results = Path.of(System.getProperty("breakwater.edgeBench.out", "../bench/results"));
      Files.createDirectories(results);
      Path file = results.resolve("edge-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd-HHmm")) + ".md");
      Files.writeString(file, report.toString());
      System.out.println(report);
    }
  }
}
