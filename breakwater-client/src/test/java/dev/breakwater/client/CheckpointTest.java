package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The CRaC / SnapStart hook, driven as the JVM would drive it: before a checkpoint no connection
 * stays open (PostgreSQL sees none) and callers wait; after the restore the pool opens new ones.
 */
class CheckpointTest {

  private static int backends(String applicationName) throws SQLException {
    try (Connection c = Pg.shared().superuser();
        ResultSet rs = c.createStatement().executeQuery(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + applicationName + "'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aCheckpointClosesEveryConnectionAndARestoreOpensThemAgain() throws Exception {
    try (BreakwaterPool pool = Pg.builder("checkpointed").maxSize(3).build()) {
      Connection lent = pool.getConnection();
      pool.getConnection().close();
      assertThat(backends("checkpointed")).isGreaterThanOrEqualTo(1);

      CompletableFuture<Void> before = CompletableFuture.runAsync(() -> {
        try {
          pool.beforeCheckpoint();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(200);
      lent.close(); // a connection lent out is closed as it comes back
      before.get(10, TimeUnit.SECONDS);
      assertThat(pool.stats().total()).isZero();
      assertThat(Pg.eventually(Duration.ofSeconds(5), () -> {
        try {
          return backends("checkpointed") == 0;
        } catch (SQLException e) {
          return false;
        }
      })).as("PostgreSQL sees no connection of the pool").isTrue();

      CompletableFuture<Integer> during = CompletableFuture.supplyAsync(() -> {
        try (Connection c = pool.getConnection(); ResultSet rs = c.createStatement().executeQuery("SELECT 7")) {
          rs.next();
          return rs.getInt(1);
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
      Thread.sleep(300);
      assertThat(during).as("a caller waits while the pool is suspended").isNotDone();

      pool.afterRestore();
      assertThat(during.get(10, TimeUnit.SECONDS)).isEqualTo(7);
      assertThat(pool.health().healthy()).isTrue();
    }
  }

  @Test
  void theHookCanBeTurnedOff() throws Exception {
    try (BreakwaterPool pool = Pg.builder("no-hook").checkpointHook(false).build()) {
      assertThat(pool.health().healthy()).isTrue();
      org.assertj.core.api.Assertions.assertThatThrownBy(pool::beforeCheckpoint)
          .isInstanceOf(IllegalStateException.class);
    }
  }
}
