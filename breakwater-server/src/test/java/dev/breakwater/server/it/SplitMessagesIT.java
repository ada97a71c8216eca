package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client message cut across TCP reads at a transaction boundary: its server is not handed to
 * anyone until the message is whole, and a client that leaves half-way leaves nothing behind.
 */
class SplitMessagesIT {

  @Test
  void aMessageSplitAtTheEndOfATransactionStaysOnOneServer() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).set("auth_type", "plain").start();
        PgWire wire = new PgWire(pooler.port());
        Connection other = pooler.connect(Roles.PLAIN)) {
      wire.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      byte[] parse = PgWire.parse("SELECT 'whole'");
      byte[] head = Arrays.copyOfRange(parse, 0, 7);
      byte[] tail = Arrays.copyOfRange(parse, 7, parse.length);
      // The end of a transaction and the start of a message, in one write.
      wire.send(PgWire.query("SELECT pg_sleep(0.2)"), head);
      assertThat(wire.readUntil('Z').type()).isEqualTo('Z');
      CompletableFuture<Integer> waiter =
          CompletableFuture.supplyAsync(
              () -> {
                try (ResultSet rs = other.createStatement().executeQuery("SELECT 7")) {
                  rs.next();
                  return rs.getInt(1);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      Thread.sleep(300);
      assertThat(waiter).as("the half-sent message keeps the server").isNotDone();
      wire.send(tail, PgWire.bind(), PgWire.execute(), PgWire.sync());
      assertThat(wire.read().type()).isEqualTo('1');
      assertThat(wire.read().type()).isEqualTo('2');
      PgWire.Message row = wire.read();
      assertThat(row.type()).isEqualTo('D');
      assertThat(new String(row.body(), 6, 5)).isEqualTo("whole");
      assertThat(wire.readUntil('Z').type()).isEqualTo('Z');
      assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo(7);
    }
  }

  @Test
  void aClientThatLeavesHalfWayLeavesNothingForTheNext() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).set("auth_type", "plain").start()) {
      try (PgWire wire = new PgWire(pooler.port())) {
        wire.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
        byte[] q = PgWire.query("SELECT 'never finished'");
        wire.send(PgWire.query("SELECT 1"), Arrays.copyOfRange(q, 0, 9));
        wire.readUntil('Z');
      }
      Thread.sleep(200);
      for (int i = 0; i < 3; i++) {
        try (Connection c = pooler.connect(Roles.PLAIN);
            ResultSet rs = c.createStatement().executeQuery("SELECT 'clean'")) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo("clean");
        }
      }
    }
  }
}
