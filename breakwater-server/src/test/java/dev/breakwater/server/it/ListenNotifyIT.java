package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * LISTEN in transaction mode without pinning: 20 listening clients on a pool of 2 all receive a
 * NOTIFY sent from another connection, idle or not, and stop receiving after UNLISTEN.
 */
class ListenNotifyIT {

  private static List<String> received(Connection c, int waitMillis) throws Exception {
    PGNotification[] n = c.unwrap(PGConnection.class).getNotifications(waitMillis);
    List<String> payloads = new ArrayList<>();
    if (n != null) {
      for (PGNotification x : n) {
        payloads.add(x.getName() + ":" + x.getParameter());
      }
    }
    return payloads;
  }

  @Test
  void twentyListenersOnTwoServers() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(2).start()) {
      List<Connection> listeners = new ArrayList<>();
      try {
        for (int i = 0; i < 20; i++) {
          Connection c = pooler.connect(Roles.PLAIN);
          c.createStatement().execute("LISTEN bw_events");
          listeners.add(c);
        }
        try (Connection sender = pooler.connect(Roles.PLAIN)) {
          sender.createStatement().execute("NOTIFY bw_events, 'hello'");
          for (Connection c : listeners) {
            assertThat(received(c, 3000)).containsExactly("bw_events:hello");
          }
          // A listener busy in a transaction gets it after, never inside a reply.
          Connection busy = listeners.get(0);
          busy.setAutoCommit(false);
          busy.createStatement().execute("SELECT 1");
          sender.createStatement().execute("NOTIFY bw_events, 'second'");
          busy.createStatement().execute("SELECT 2");
          busy.commit();
          busy.setAutoCommit(true);
          assertThat(received(busy, 3000)).containsExactly("bw_events:second");
          for (Connection c : listeners.subList(1, 20)) {
            assertThat(received(c, 3000)).containsExactly("bw_events:second");
          }
          for (Connection c : listeners.subList(0, 10)) {
            c.createStatement().execute("UNLISTEN bw_events");
          }
          sender.createStatement().execute("NOTIFY bw_events, 'third'");
          for (Connection c : listeners.subList(10, 20)) {
            assertThat(received(c, 3000)).containsExactly("bw_events:third");
          }
          for (Connection c : listeners.subList(0, 10)) {
            assertThat(received(c, 300)).isEmpty();
          }
        }
        assertThat(pooler.backendsOf(Roles.PLAIN)).as("2 pooled servers and 1 listener").isLessThanOrEqualTo(3);
      } finally {
        for (Connection c : listeners) {
          c.close();
        }
      }
    }
  }
}
