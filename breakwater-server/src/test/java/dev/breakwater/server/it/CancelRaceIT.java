package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A query_timeout cancel that reaches PostgreSQL late must not cancel the query after the one it
 * was sent for. A relay delays cancel requests by 1.2 s: query_timeout (1 s) sends one for a query
 * of 1.5 s, which ends before the cancel arrives; the client's next query then waits until
 * PostgreSQL has taken the cancel. Before, it was sent at once and the late cancel killed it.
 */
class CancelRaceIT {

  static final int CANCEL_REQUEST = 80877102;
  static ServerSocket relay;

  @BeforeAll
  static void start() throws Exception {
    relay = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    int target = TestPostgres.shared().port();
    Thread acceptor =
        new Thread(
            () -> {
              while (!relay.isClosed()) {
                try {
                  Socket in = relay.accept();
                  Thread t = new Thread(() -> relayOne(in, target));
                  t.setDaemon(true);
                  t.start();
                } catch (Exception e) {
                  return;
                }
              }
            },
            "cancel-race-relay");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterAll
  static void stop() throws Exception {
    relay.close();
  }

  private static void relayOne(Socket in, int target) {
    try {
      byte[] first = new byte[8];
      new DataInputStream(in.getInputStream()).readFully(first);
      int code = ((first[4] & 0xff) << 24) | ((first[5] & 0xff) << 16) | ((first[6] & 0xff) << 8) | (first[7] & 0xff);
      if (code == CANCEL_REQUEST) {
        Thread.sleep(1200);
      }
      Socket out = new Socket("127.0.0.1", target);
      out.getOutputStream().write(first);
      pump(out.getInputStream(), in.getOutputStream(), in, out);
      pump(in.getInputStream(), out.getOutputStream(), in, out);
    } catch (Exception e) {
      try {
        in.close();
      } catch (Exception ignored) {
        // closed
      }
    }
  }

  private static void pump(InputStream from, OutputStream to, Socket a, Socket b) {
    Thread t =
        new Thread(
            () -> {
              try {
                from.transferTo(to);
              } catch (Exception e) {
                // closed
              } finally {
                try {
                  a.close();
                  b.close();
                } catch (Exception ignored) {
                  // closed
                }
              }
            });
    t.setDaemon(true);
    t.start();
  }

  @Test
  void aLateQueryTimeoutCancelDoesNotReachTheNextQuery() throws Exception {
    try (Pooler pooler =
        Pooler.builder()
            .poolSize(1)
            .set("query_timeout", "1")
            .database("viarelay = dbname=" + Roles.DATABASE + " port=" + relay.getLocalPort())
            .start();
        Connection c = pooler.connect("viarelay", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties());
        Statement s = c.createStatement()) {
      // Cancelled at about 1.0 s, the cancel reaching PostgreSQL at about 2.2 s: this ends first.
      try (ResultSet rs = s.executeQuery("SELECT pg_sleep(1.5), 'first'")) {
        rs.next();
      } catch (SQLException e) {
        // If the relay was quicker than planned, the first query is the one cancelled: fine.
        assertThat(e.getSQLState()).isEqualTo("57014");
      }
      // Runs from about 1.5 s to 3 s unless it waits for the cancel: the late cancel must miss it.
      try (ResultSet rs = s.executeQuery("SELECT pg_sleep(0.9), 'second'")) {
        rs.next();
        assertThat(rs.getString(2)).isEqualTo("second");
      }
    }
  }
}
