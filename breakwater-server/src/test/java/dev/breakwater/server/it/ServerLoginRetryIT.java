package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A client that finds its server unreachable waits while the pool tries again after
 * server_login_retry, as in PgBouncer, so a server that is starting up serves it; it is not failed
 * at the first refused connection.
 */
class ServerLoginRetryIT {

  /** Forwards every connection on {@code listen} to {@code target} on loopback. */
  private static ServerSocket forward(int listen, int target) throws Exception {
    ServerSocket ss = new ServerSocket(listen, 50, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              while (!ss.isClosed()) {
                try {
                  Socket in = ss.accept();
                  Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                  pipe(in, out);
                  pipe(out, in);
                } catch (Exception e) {
                  return;
                }
              }
            });
    acceptor.setDaemon(true);
    acceptor.start();
    return ss;
  }

  private static void pipe(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              try (InputStream i = from.getInputStream();
                  OutputStream o = to.getOutputStream()) {
                i.transferTo(o);
              } catch (Exception e) {
                // the other side closed
              } finally {
                try {
                  from.close();
                  to.close();
                } catch (Exception ignored) {
                  // closing
                }
              }
            });
    t.setDaemon(true);
    t.start();
  }

  @Test
  void aClientWaitsForTheRetryAndIsServedByAServerThatCameUp() throws Exception {
    int port = TestPostgres.freePort();
    try (Pooler p =
        Pooler.builder()
            .database("late = dbname=" + Roles.DATABASE + " port=" + port)
            .set("server_login_retry", "2")
            .start()) {
      CompletableFuture<String> answer =
          CompletableFuture.supplyAsync(
              () -> {
                try (Connection c =
                    p.connect("late", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties())) {
                  return Sql.one(c, "SELECT 1");
                } catch (Exception e) {
                  return e.getMessage();
                }
              });
      Thread.sleep(700);
      assertThat(answer).as("still waiting: the first connection was refused").isNotDone();
      try (ServerSocket up = forward(port, p.postgres().port())) {
        assertThat(answer.get(10, TimeUnit.SECONDS)).isEqualTo("1");
      }
    }
  }
}
