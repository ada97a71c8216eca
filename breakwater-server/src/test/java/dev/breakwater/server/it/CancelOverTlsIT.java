package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestCertificates;
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
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cancel requests to a PostgreSQL that Breakwater reaches over TLS (server_tls_sslmode require or
 * verify-*) go over TLS too, as libpq 17 sends them: they used to go in the clear, the backend's
 * key with them. A relay between the pooler and PostgreSQL records how each connection begins.
 */
class CancelOverTlsIT {

  static final int SSL_REQUEST = 80877103;
  static final int CANCEL_REQUEST = 80877102;

  static TestCertificates ca;
  static TestPostgres pg;
  static ServerSocket relay;
  static final List<Integer> firstCodes = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.newAuthority("cancel-tls-ca");
    pg = TestPostgres.startPrivate();
    pg.requireTls(ca.issue("postgres-server", "localhost", "127.0.0.1"));
    relay = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(CancelOverTlsIT::relayAll, "cancel-tls-relay");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  @AfterAll
  static void stop() throws Exception {
    relay.close();
    pg.close();
    ca.close();
  }

  /** Relays every connection to PostgreSQL, noting the code of its first packet. */
  private static void relayAll() {
    while (!relay.isClosed()) {
      try {
        Socket in = relay.accept();
        Socket out = new Socket("127.0.0.1", pg.port());
        Thread t =
            new Thread(
                () -> {
                  try {
                    byte[] first = new byte[8];
                    new DataInputStream(in.getInputStream()).readFully(first);
                    firstCodes.add(
                        ((first[4] & 0xff) << 24) | ((first[5] & 0xff) << 16) | ((first[6] & 0xff) << 8) | (first[7] & 0xff));
                    out.getOutputStream().write(first);
                    pump(out.getInputStream(), in.getOutputStream(), in, out);
                    pump(in.getInputStream(), out.getOutputStream(), in, out);
                  } catch (Exception e) {
                    close(in, out);
                  }
                });
        t.setDaemon(true);
        t.start();
      } catch (Exception e) {
        return;
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
                close(a, b);
              }
            });
    t.setDaemon(true);
    t.start();
  }

  private static void close(Socket a, Socket b) {
    try {
      a.close();
    } catch (Exception e) {
      // ignore
    }
    try {
      b.close();
    } catch (Exception e) {
      // ignore
    }
  }

  @Test
  void cancelsGoOverTlsWhenTheServerConnectionDoes() throws Exception {
    try (Pooler pooler =
        Pooler.builder(pg)
            .set("server_tls_sslmode", "require")
            .set("query_timeout", "1")
            .database("viarelay = dbname=" + Roles.DATABASE + " port=" + relay.getLocalPort())
            .start()) {
      Properties p = new Properties();
      try (Connection c = pooler.connect("viarelay", Roles.PLAIN, Roles.password(Roles.PLAIN), p);
          Statement s = c.createStatement()) {
        // query_timeout's cancel.
        long start = System.nanoTime();
        SQLException timedOut = null;
        try (ResultSet rs = s.executeQuery("SELECT pg_sleep(20)")) {
          rs.next();
        } catch (SQLException e) {
          timedOut = e;
        }
        assertThat((Object) timedOut).isNotNull();
        assertThat(timedOut.getSQLState()).isEqualTo("57014");
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
        // The client's own cancel.
        CompletableFuture<SQLException> sleeping =
            CompletableFuture.supplyAsync(
                () -> {
                  try (Statement t = c.createStatement();
                      ResultSet rs = t.executeQuery("SELECT pg_sleep(20), 'own'")) {
                    return null;
                  } catch (SQLException e) {
                    return e;
                  }
                });
        Thread.sleep(300);
        s.cancel();
        SQLException cancelled = sleeping.get(10, TimeUnit.SECONDS);
        assertThat((Object) cancelled).isNotNull();
        assertThat(cancelled.getSQLState()).isEqualTo("57014");
      }
      assertThat(firstCodes).as("a server login and two cancels at least").hasSizeGreaterThanOrEqualTo(3);
      assertThat(firstCodes).as("every connection to PostgreSQL begins with SSLRequest").containsOnly(SSL_REQUEST);
      assertThat(firstCodes).doesNotContain(CANCEL_REQUEST);
    }
  }
}
