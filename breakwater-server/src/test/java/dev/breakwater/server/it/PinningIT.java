package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.pool.Pool;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What cannot follow a client pins it to its server, as session pooling would, until it is gone;
 * each pin is counted by reason; session_pinning = 0 keeps PgBouncer's behaviour.
 */
class PinningIT {

  private static int pid(Connection c) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** With one server: while {@code holder} is pinned, {@code other} cannot get a server. */
  private static CompletableFuture<Integer> tryOther(Connection other) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return pid(other);
      } catch (SQLException e) {
        throw new RuntimeException(e);
      }
    });
  }

  private static void assertPinnedUntil(Pooler pooler, String pinSql, String unpinSql, String reason) throws Exception {
    try (Connection holder = pooler.connect(Roles.PLAIN);
        Connection other = pooler.connect(Roles.PLAIN)) {
      int first = pid(holder);
      holder.createStatement().execute(pinSql);
      CompletableFuture<Integer> waiting = tryOther(other);
      Thread.sleep(400);
      assertThat(waiting).as(reason + ": the other client waits").isNotDone();
      assertThat(pid(holder)).as(reason + ": same server").isEqualTo(first);
      holder.createStatement().execute(unpinSql);
      assertThat(waiting.get(5, TimeUnit.SECONDS)).as(reason + ": released").isEqualTo(first);
    }
    Pool pool = pooler.breakwater().pools().all().iterator().next();
    assertThat(pool.stats().pins()).containsKey(reason);
  }

  @Test
  void eachReasonPinsUntilItsStateIsGone() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).start()) {
      assertPinnedUntil(pooler, "SELECT pg_advisory_lock(42)", "SELECT pg_advisory_unlock_all()", "advisory_lock");
      assertPinnedUntil(pooler, "CREATE TEMP TABLE pin_t (x int)", "DROP TABLE pin_t", "temp_table");
      assertPinnedUntil(pooler, "DECLARE pin_c CURSOR WITH HOLD FOR SELECT 1", "CLOSE pin_c", "cursor_with_hold");
      assertPinnedUntil(pooler, "PREPARE pin_p AS SELECT 1", "DEALLOCATE pin_p", "prepare");
      assertPinnedUntil(pooler, "SELECT pg_advisory_lock(7)", "SELECT pg_advisory_unlock(7)", "advisory_lock");
    }
  }

  @Test
  void aPinnedClientThatLeavesLeavesNothingBehind() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).start()) {
      try (Connection holder = pooler.connect(Roles.PLAIN)) {
        holder.createStatement().execute("SELECT pg_advisory_lock(99)");
        holder.createStatement().execute("CREATE TEMP TABLE left_behind (x int)");
      }
      try (Connection next = pooler.connect(Roles.PLAIN);
          ResultSet rs =
              next.createStatement()
                  .executeQuery(
                      "SELECT (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()),"
                          + " (SELECT count(*) FROM pg_class WHERE relname = 'left_behind' AND relpersistence = 't')")) {
        rs.next();
        assertThat(rs.getInt(1)).as("advisory locks").isZero();
        assertThat(rs.getInt(2)).as("temporary tables").isZero();
      }
    }
  }

  @Test
  void withPinningOffTheServerGoesBack() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).set("session_pinning", "0").start();
        Connection holder = pooler.connect(Roles.PLAIN);
        Connection other = pooler.connect(Roles.PLAIN)) {
      holder.createStatement().execute("SELECT pg_advisory_lock(5)");
      assertThat(tryOther(other).get(5, TimeUnit.SECONDS)).isPositive();
      holder.createStatement().execute("SELECT pg_advisory_unlock_all()");
    }
  }
}
