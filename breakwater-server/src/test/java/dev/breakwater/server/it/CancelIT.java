package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A CancelRequest with Breakwater's key reaches the server the client is using at that moment. */
class CancelIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(2).start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  @Test
  void cancelStopsARunningSleep() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Statement s = c.createStatement();
      long start = System.nanoTime();
      CompletableFuture<Void> canceller =
          CompletableFuture.runAsync(
              () -> {
                try {
                  Thread.sleep(500);
                  s.cancel();
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      assertThatThrownBy(() -> s.execute("SELECT pg_sleep(30)"))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57014"));
      canceller.get(5, TimeUnit.SECONDS);
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)).isLessThan(10);
      try (ResultSet rs = s.executeQuery("SELECT 1")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(1);
      }
    }
  }

  @Test
  void aCancelForAnIdleClientCancelsNothingElse() throws Exception {
    try (Connection idle = pooler.connect(Roles.PLAIN);
        Connection busy = pooler.connect(Roles.PLAIN)) {
      Statement busyStatement = busy.createStatement();
      CompletableFuture<Boolean> running =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return busyStatement.execute("SELECT pg_sleep(1.5)");
                } catch (SQLException e) {
                  throw new RuntimeException(e);
                }
              });
      Thread.sleep(300);
      idle.createStatement().cancel();
      assertThat(running.get(10, TimeUnit.SECONDS)).isTrue();
    }
  }
}
