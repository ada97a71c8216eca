package dev.breakwater.demo;

import dev.breakwater.server.Breakwater;
import dev.breakwater.server.Demo;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;

/**
 * The demo that runs with no configuration: an embedded PostgreSQL 17 with a user and a database
 * named {@code demo}, and Breakwater in front of it in transaction mode on 127.0.0.1. The server
 * finds it through {@link Demo#starter()} when this module is on the class path.
 */
public final class EmbeddedDemo implements Demo {

  /** Registered for {@link java.util.ServiceLoader}. */
  public static final class Starter implements Demo.Starter {
    @Override
    public Demo start(int port) throws Exception {
      return EmbeddedDemo.start(port);
    }
  }

  static final String USER = "demo";
  static final String PASSWORD = "demo";
  static final String DATABASE = "demo";

  private final EmbeddedPostgres postgres;
  private final Breakwater breakwater;
  private final Path configDir;

  private EmbeddedDemo(EmbeddedPostgres postgres, Breakwater breakwater, Path configDir) {
    this.postgres = postgres;
    this.breakwater = breakwater;
    this.configDir = configDir;
  }

  static EmbeddedDemo start(int port) throws Exception {
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("password_encryption", "scram-sha-256")
            .setServerConfig("max_connections", "100")
            .start();
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'");
      s.execute("CREATE DATABASE " + DATABASE + " OWNER " + USER);
    }
    Path dir = Files.createTempDirectory("breakwater-demo-");
    Files.writeString(dir.resolve("userlist.txt"), "\"" + USER + "\" \"" + PASSWORD + "\"\n");
    Files.writeString(
        dir.resolve("pgbouncer.ini"),
        String.join(
            "\n",
            "; Written by the Breakwater demo; the PostgreSQL it points at is embedded and temporary.",
            "[databases]",
            DATABASE + " = host=127.0.0.1 port=" + pg.getPort() + " dbname=" + DATABASE,
            "",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            "listen_port = " + port,
            "auth_type = scram-sha-256",
            "auth_file = " + dir.resolve("userlist.txt"),
            "pool_mode = transaction",
            "default_pool_size = 20",
            "max_client_conn = 1000",
            "admin_users = " + USER,
            "stats_users = " + USER,
            "; Breakwater's HTTP endpoint: dashboard, /health, /metrics.",
            "http_listen_addr = 127.0.0.1",
            "http_listen_port = " + (port + 2),
            ""));
    try {
      Breakwater b = Breakwater.start(dir.resolve("pgbouncer.ini"));
      return new EmbeddedDemo(pg, b, dir);
    } catch (Exception e) {
      pg.close();
      delete(dir);
      throw e;
    }
  }

  @Override
  public Breakwater breakwater() {
    return breakwater;
  }

  @Override
  public String banner() {
    int port = breakwater.port();
    return String.join(
        "\n",
        "",
        "Breakwater is pooling an embedded PostgreSQL 17 (transaction mode, pool size 20).",
        "Connect with:",
        "",
        "  psql \"postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/" + DATABASE + "\"",
        "",
        "Admin console: psql \"postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port + "/pgbouncer\" -c 'SHOW POOLS'",
        "Dashboard:     http://127.0.0.1:" + (port + 2) + "/   (also /health and /metrics)",
        "",
        "Configuration: " + configDir.resolve("pgbouncer.ini"),
        "Stop with Ctrl-C.",
        "");
  }

  @Override
  public void close() throws IOException {
    breakwater.close();
    postgres.close();
    delete(configDir);
  }

  /** Deletes the demo's configuration directory, best-effort: it is only a temporary copy. */
  private static void delete(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // nothing more to do on the way out
    }
  }
}
