package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.File;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real process and real signals: SIGHUP reloads, SIGTERM drains and exits 0, twice (or after
 * the console's SHUTDOWN WAIT_FOR_CLIENTS) exits 3.
 */
class SignalsIT {

  @TempDir Path dir;

  private static Process start(Path ini, Path log) throws Exception {
    String cp = System.getProperty("java.class.path");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    return new ProcessBuilder(java, "-cp", cp, "dev.breakwater.server.Main", ini.toString())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
  }

  private static void signal(Process p, String sig) throws Exception {
    new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor(5, TimeUnit.SECONDS);
  }

  private static void awaitListening(int port) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (java.io.IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("not listening on " + port);
  }

  private static Connection connect(int port) throws Exception {
    Properties p = new Properties();
    p.setProperty("user", Roles.PLAIN);
    p.setProperty("password", Roles.password(Roles.PLAIN));
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + Roles.DATABASE, p);
  }

  private Path config(int port) throws Exception {
    TestPostgres pg = TestPostgres.shared();
    Files.writeString(dir.resolve("userlist.txt"), "\"" + Roles.PLAIN + "\" \"" + Roles.password(Roles.PLAIN) + "\"\n");
    Files.writeString(
        dir.resolve("pgbouncer.ini"),
        "[databases]\n" + Roles.DATABASE + " = host=127.0.0.1 port=" + pg.port() + "\n"
            + "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " + port + "\nunix_socket_dir =\n"
            + "auth_type = scram-sha-256\nauth_file = userlist.txt\npool_mode = transaction\ndefault_pool_size = 2\n");
    return dir.resolve("pgbouncer.ini");
  }

  @Test
  void hupReloadsTermDrainsThenExitsZero() throws Exception {
    int port = TestPostgres.freePort();
    Path ini = config(port);
    Path log = ini.resolveSibling("breakwater.log");
    Process p = start(ini, log);
    try {
      awaitListening(port);
      Files.writeString(ini, Files.readString(ini).replace("default_pool_size = 2", "default_pool_size = 4"));
      signal(p, "HUP");
      // The reload runs on its own thread: on a loaded machine it can take more than a moment.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!Files.readString(log).contains("configuration reloaded") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(Files.readString(log)).contains("configuration reloaded");
      try (Connection c = connect(port)) {
        c.setAutoCommit(false);
        c.createStatement().execute("SELECT 1");
        signal(p, "TERM");
        Thread.sleep(300);
        assertThat(p.isAlive()).as("waits for the open transaction").isTrue();
        try (ResultSet rs = c.createStatement().executeQuery("SELECT 2")) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(2);
        }
        c.commit();
      }
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aSecondTermExitsAtOnceWithThree() throws Exception {
    int port = TestPostgres.freePort();
    Path ini = config(port);
    Process p = start(ini, ini.resolveSibling("breakwater.log"));
    try {
      awaitListening(port);
      try (Connection c = connect(port)) {
        c.setAutoCommit(false);
        c.createStatement().execute("SELECT 1");
        signal(p, "TERM");
        Thread.sleep(300);
        signal(p, "TERM");
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
      }
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void aTermWhileAConsoleShutdownWaitsExitsAtOnce() throws Exception {
    int port = TestPostgres.freePort();
    Path ini = config(port);
    Files.writeString(ini, Files.readString(ini) + "admin_users = " + Roles.PLAIN + "\n");
    Process p = start(ini, ini.resolveSibling("breakwater.log"));
    try {
      awaitListening(port);
      try (Connection c = connect(port)) {
        c.createStatement().execute("SELECT 1");
        Properties props = new Properties();
        props.setProperty("user", Roles.PLAIN);
        props.setProperty("password", Roles.password(Roles.PLAIN));
        props.setProperty("preferQueryMode", "simple");
        try (Connection admin = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/pgbouncer", props)) {
          admin.createStatement().execute("SHUTDOWN WAIT_FOR_CLIENTS");
        }
        Thread.sleep(300);
        assertThat(p.isAlive()).as("waits for the client").isTrue();
        // As PgBouncer: the console's SHUTDOWN was the first request to stop; SIGTERM is the second.
        signal(p, "TERM");
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(3);
      }
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void anInvalidConfigurationExitsTwoAndNamesTheLine() throws Exception {
    Path ini = config(TestPostgres.freePort());
    Files.writeString(ini, Files.readString(ini) + "pool_mode = sometimes\n");
    Path log = ini.resolveSibling("breakwater.log");
    Process p = start(ini, log);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(Files.readString(log)).contains("pgbouncer.ini:").contains("pool_mode").contains("sometimes");
    assertThat(new File(ini.toString())).exists();
  }
}
