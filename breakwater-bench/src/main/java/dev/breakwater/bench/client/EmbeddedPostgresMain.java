package dev.breakwater.bench.client;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;

/**
 * bench/run's fallback when the machine has no PostgreSQL of its own: the embedded PostgreSQL 17
 * of breakwater-server's demo, on {@code --port}, with SCRAM for TCP logins other than the
 * superuser's. Prints {@code READY <bin dir>} and runs until killed.
 *
 * <pre>EmbeddedPostgresMain --port P --dir D [--max-connections N] [--shared-buffers 256MB]</pre>
 */
public final class EmbeddedPostgresMain {

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    int port = Integer.parseInt(args.get("port"));
    Path dir = Path.of(args.get("dir"));
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder()
            .setDataDirectory(dir)
            .setCleanDataDirectory(false)
            .setPort(port)
            .setServerConfig("listen_addresses", "127.0.0.1")
            .setServerConfig("max_connections", args.get("max-connections", "300"))
            .setServerConfig("shared_buffers", args.get("shared-buffers", "256MB"))
            .setServerConfig("password_encryption", "scram-sha-256")
            .setServerConfig("fsync", "off")
            .setServerConfig("synchronous_commit", "off")
            .setServerConfig("full_page_writes", "off")
            .start();
    Files.writeString(
        dir.resolve("pg_hba.conf"),
        "local all all trust\n"
            + "host all postgres 127.0.0.1/32 trust\n"
            + "host all all 127.0.0.1/32 scram-sha-256\n");
    try (Connection c =
            DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "postgres", "");
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_reload_conf()");
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    pg.close();
                  } catch (Exception e) {
                    System.err.println("stopping PostgreSQL: " + e);
                  }
                  stopped.countDown();
                }));
    System.out.println("READY");
    System.out.flush();
    stopped.await();
  }

  private EmbeddedPostgresMain() {}
}
