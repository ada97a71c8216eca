package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Connections that have not sent their startup packet count toward max_client_conn, as in
 * PgBouncer: they used to be counted only once their startup packet came, so sockets that send
 * nothing could hold any number of file descriptors until client_login_timeout.
 */
class HalfOpenConnectionsIT {

  @Test
  void silentSocketsCountTowardMaxClientConn() throws Exception {
    try (Pooler pooler = Pooler.builder().set("max_client_conn", "3").start()) {
      List<Socket> silent = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          silent.add(new Socket("127.0.0.1", pooler.port()));
        }
        Thread.sleep(200); // accepted by the pooler
        assertServerError(
            () -> pooler.connect(Roles.PLAIN).close(), "53300", "no more connections allowed (max_client_conn)");
        // Past the limit and its margin (10 here), a connection is refused unread.
        for (int i = 0; i < 10; i++) {
          silent.add(new Socket("127.0.0.1", pooler.port()));
        }
        Thread.sleep(200);
        try (PgWire extra = new PgWire(pooler.port()).timeout(5000)) {
          PgWire.Message error = extra.errorThenClose();
          assertThat(error).isNotNull();
          assertThat(error.sqlState()).isEqualTo("53300");
        }
      } finally {
        for (Socket s : silent) {
          s.close();
        }
      }
      // Their places are free again once they go.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (true) {
        try (Connection c = pooler.connect(Roles.PLAIN)) {
          break;
        } catch (SQLException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(50);
        }
      }
    }
  }

  @Test
  void aFullPoolerStillTakesCancelRequests() throws Exception {
    try (Pooler pooler = Pooler.builder().set("max_client_conn", "2").start();
        Connection a = pooler.connect(Roles.PLAIN);
        Connection b = pooler.connect(Roles.PLAIN);
        Statement s = a.createStatement()) {
      CompletableFuture<Throwable> sleeping =
          CompletableFuture.supplyAsync(
              () -> {
                try (ResultSet rs = s.executeQuery("SELECT pg_sleep(30)")) {
                  return null;
                } catch (SQLException e) {
                  return e;
                }
              });
      Thread.sleep(500);
      s.cancel(); // a third connection, past max_client_conn
      Throwable t = sleeping.get(10, TimeUnit.SECONDS);
      assertThat(t).isInstanceOf(SQLException.class);
      assertThat(((SQLException) t).getSQLState()).isEqualTo("57014");
    }
  }

  @Test
  void clientLoginTimeoutClosesASocketThatSendsNothing() throws Exception {
    try (Pooler pooler = Pooler.builder().set("client_login_timeout", "1").start();
        PgWire silent = new PgWire(pooler.port()).timeout(10_000)) {
      long start = System.nanoTime();
      assertThat(silent.read()).as("closed without a word").isNull();
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(500L, 5000L);
    }
  }
}
