package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The clients PgBouncer users run, as separate processes through Breakwater: psql, pgbench in its
 * three query modes, psycopg2 and node-postgres. Each is skipped with a message where it is not
 * installed; .ci/run installs them.
 */
class OtherClientsIT {

  @TempDir Path dir;

  /** Where node-postgres is installed: BW_NODE_MODULES, else .ci/run's cache. */
  static Path nodeModules() {
    String env = System.getenv("BW_NODE_MODULES");
    return env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "breakwater-node", "node_modules");
  }

  private record Result(int exit, String output) {}

  private static Result run(Map<String, String> env, String... command) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    boolean done = p.waitFor(120, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!done) {
      p.destroyForcibly();
      return new Result(-1, out + "\n(timed out)");
    }
    return new Result(p.exitValue(), out);
  }

  /** A copy of a client script, in this test's temporary directory. */
  private Path script(String name) throws IOException {
    Path f = dir.resolve(name);
    try (InputStream in = OtherClientsIT.class.getResourceAsStream("/clients/" + name)) {
      Files.copy(in, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    return f;
  }

  /** Three servers for many clients, except in session mode, where each client keeps one. */
  private static Pooler pooler(String mode) throws Exception {
    return Pooler.builder().poolMode(mode).poolSize(mode.equals("session") ? 12 : 3).start();
  }

  @ParameterizedTest
  @ValueSource(strings = {"session", "transaction", "statement"})
  void psqlAndPgbench(String mode) throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/psql")) && Files.isExecutable(Path.of("/usr/bin/pgbench")),
        "psql and pgbench are not installed (apt-get install postgresql-client)");
    try (Pooler pooler = pooler(mode)) {
      Map<String, String> env = Map.of("PGPASSWORD", Roles.password(Roles.SCRAM), "PGHOST", "127.0.0.1",
          "PGPORT", Integer.toString(pooler.port()), "PGUSER", Roles.SCRAM, "PGDATABASE", Roles.DATABASE);
      Result psql = run(env, "/usr/bin/psql", "-X", "-v", "ON_ERROR_STOP=1", "-Atc",
          "SELECT current_user, 6 * 7");
      assertThat(psql.exit()).as(psql.output()).isZero();
      assertThat(psql.output()).isEqualTo(Roles.SCRAM + "|42\n");
      // pgbench -i uses transactions, which statement mode refuses: initialize in transaction mode.
      if (!mode.equals("statement")) {
        Result init = run(env, "/usr/bin/pgbench", "-i", "-q", "-s", "1");
        assertThat(init.exit()).as(init.output()).isZero();
      }
      List<String> modes = new ArrayList<>(List.of("simple", "extended", "prepared"));
      for (String queryMode : modes) {
        Result bench = run(env, "/usr/bin/pgbench", "-S", "-n", "-M", queryMode, "-c", "10", "-j", "2", "-t", "200");
        assertThat(bench.exit()).as(mode + "/" + queryMode + ":\n" + bench.output()).isZero();
        assertThat(bench.output()).contains("number of transactions actually processed: 2000/2000");
        assertThat(bench.output()).doesNotContain("ERROR");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"session", "transaction"})
  void psycopg2(String mode) throws Exception {
    Path python = Path.of("/usr/bin/python3");
    assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
    Result probe = run(Map.of(), python.toString(), "-c", "import psycopg2");
    assumeTrue(probe.exit() == 0, "psycopg2 is not installed (apt-get install python3-psycopg2)");
    try (Pooler pooler = pooler(mode)) {
      String dsn = "host=127.0.0.1 port=" + pooler.port() + " dbname=" + Roles.DATABASE + " user=" + Roles.SCRAM
          + " password=" + Roles.password(Roles.SCRAM);
      Result r = run(Map.of("BW_DSN", dsn, "BW_MODE", mode), python.toString(), script("psycopg2_check.py").toString());
      assertThat(r.exit()).as(r.output()).isZero();
      assertThat(r.output()).endsWith("OK\n");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"session", "transaction"})
  void nodePostgres(String mode) throws Exception {
    assumeTrue(Files.isDirectory(nodeModules().resolve("pg")), "node-postgres is not installed in " + nodeModules());
    try (Pooler pooler = pooler(mode)) {
      String url = "postgres://" + Roles.SCRAM + ":" + Roles.password(Roles.SCRAM) + "@127.0.0.1:" + pooler.port() + "/" + Roles.DATABASE;
      Result r = run(Map.of("BW_URL", url, "BW_MODE", mode, "NODE_PATH", nodeModules().toString()),
          "node", script("node_pg_check.js").toString());
      assertThat(r.exit()).as(r.output()).isZero();
      assertThat(r.output()).endsWith("OK\n");
    }
  }
}
