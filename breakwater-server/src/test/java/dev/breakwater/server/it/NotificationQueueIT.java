package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Notifications kept for a client (LISTEN through the pool's listening connection) are bounded:
 * a client in a long transaction, or one that does not read, used to make the pooler hold every
 * notification sent meanwhile. Past 1 MiB it is dropped with SQLSTATE 54000 and a log line.
 */
class NotificationQueueIT {

  /** Sends {@code n} notifications of about 7900 bytes each on channel bw_flood. */
  private static void flood(Connection sender, int n) throws Exception {
    try (Statement s = sender.createStatement()) {
      for (int i = 0; i < n; i += 50) {
        s.execute("SELECT pg_notify('bw_flood', repeat('p', 7900) || g) FROM generate_series(1, 50) g");
      }
    }
  }

  @Test
  void aClientInALongTransactionIsDroppedPastTheBoundWithAnError() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(2).set("auth_type", "plain").start();
        LogCapture log = new LogCapture("dev.breakwater.server.frontend.ClientNotifications");
        PgWire wire = new PgWire(pooler.port()).timeout(30_000);
        Connection sender = pooler.connect(Roles.PLAIN)) {
      wire.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      wire.send(PgWire.query("LISTEN bw_flood"));
      assertThat(wire.readUntil('Z').type()).isEqualTo('Z');
      wire.send(PgWire.query("BEGIN"));
      assertThat(wire.readUntil('Z').type()).isEqualTo('Z');
      // 200 notifications of 7.9 kB: 1.6 MB kept while the transaction lasts, more than 1 MiB.
      flood(sender, 200);
      PgWire.Message error = wire.errorThenClose();
      assertThat(error).as("an error before the close").isNotNull();
      assertThat(error.sqlState()).isEqualTo("54000");
      assertThat(error.text()).contains("too many notifications");
      assertThat(log.has("bytes of notifications were waiting for it")).isTrue();
      // The listener carries on for everyone else.
      try (Connection other = pooler.connect(Roles.PLAIN)) {
        other.createStatement().execute("LISTEN bw_flood");
        sender.createStatement().execute("NOTIFY bw_flood, 'after'");
        // Flood notifications still on their way to the pooler's listening server when other's
        // LISTEN took effect can reach other too (the shared listener hands on what arrives;
        // docs/architecture.md): "after" must arrive, after nothing but those.
        List<String> seen = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!seen.contains("after") && System.nanoTime() < deadline) {
          var n = other.unwrap(org.postgresql.PGConnection.class).getNotifications(500);
          if (n != null) {
            for (var one : n) {
              seen.add(one.getParameter());
            }
          }
        }
        assertThat(seen).contains("after");
        // Nothing but those: each one before "after" is one of the flood's (200, of 50 payloads).
        List<String> before = seen.subList(0, seen.indexOf("after"));
        assertThat(before).hasSizeLessThanOrEqualTo(200).allSatisfy(
            payload -> assertThat(payload).matches("p{7900}([1-9]|[1-4][0-9]|50)"));
      }
    }
  }

  @Test
  void aClientThatDoesNotReadIsDropped() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(2).set("auth_type", "plain").start();
        LogCapture log = new LogCapture("dev.breakwater.server.frontend.ClientNotifications");
        PgWire wire = new PgWire(pooler.port()).timeout(60_000);
        Connection sender = pooler.connect(Roles.PLAIN)) {
      wire.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      wire.send(PgWire.query("LISTEN bw_flood"));
      assertThat(wire.readUntil('Z').type()).isEqualTo('Z');
      // Idle and not reading: socket buffers fill, then the pooler's channel stops being
      // writable, then what is kept grows to the bound. 4000 notifications: 32 MB.
      flood(sender, 4000);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (!log.has("bytes of notifications were waiting for it") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(log.has("bytes of notifications were waiting for it"))
          .as("the client that does not read is dropped")
          .isTrue();
      // What reached the socket before the close can still be read; then the connection ends.
      CompletableFuture<Boolean> ended =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  while (wire.read() != null) {
                    // notifications sent before the close
                  }
                  return true;
                } catch (Exception e) {
                  return true;
                }
              });
      assertThat(ended.get(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
