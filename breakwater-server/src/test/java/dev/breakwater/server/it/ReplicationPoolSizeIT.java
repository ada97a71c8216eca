package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.PGProperty;

/**
 * Replication clients' servers count against pool_size, as PgBouncer counts them: one more waits
 * in its login until one closes; and an idle pooled server of a full pool is closed to make room
 * for one, which would otherwise wait for server_idle_timeout.
 */
class ReplicationPoolSizeIT {

  static Properties logical() {
    Properties p = new Properties();
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    PGProperty.CONNECT_TIMEOUT.set(p, "20");
    return p;
  }

  static Connection replicationClient(Pooler pooler) throws SQLException {
    return pooler.connect(Roles.DATABASE, Roles.ADMIN, Roles.password(Roles.ADMIN), logical());
  }

  /** PostgreSQL's backends of the pooled role, waiting up to 5 s for the count to be {@code expected}. */
  static int backendsOf(Pooler pooler, int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    int n;
    while ((n = pooler.backendsOf(Roles.ADMIN)) != expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return n;
  }

  @Test
  void aReplicationClientWaitsForRoomInThePool() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).start()) {
      Connection first = replicationClient(pooler);
      CompletableFuture<Connection> second =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return replicationClient(pooler);
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              });
      try {
        Thread.sleep(1000);
        assertThat(second).as("pool_size 1 holds one walsender").isNotDone();
        dev.breakwater.server.pool.Pool pool = pooler.breakwater().pools().all().iterator().next();
        assertThat(pool.snapshot().waiting()).as("SHOW POOLS counts it waiting").isEqualTo(1);
        assertThat(pool.snapshot().active()).isEqualTo(1);
        assertThat(Sql.one(first, "IDENTIFY_SYSTEM")).isNotEmpty();
        first.close();
        try (Connection c = second.get(10, TimeUnit.SECONDS)) {
          assertThat(Sql.one(c, "IDENTIFY_SYSTEM")).isNotEmpty();
          assertThat(pooler.backendsOf(Roles.ADMIN)).as("no pooled server was opened").isZero();
        }
      } finally {
        first.close();
        second.thenAccept(c -> {
          try {
            c.close();
          } catch (SQLException e) {
            // closing
          }
        });
      }
    }
  }

  @Test
  void anIdleServerOfAFullPoolMakesRoom() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).set("query_wait_timeout", "5").start()) {
      try (Connection c = pooler.connect(Roles.ADMIN)) {
        assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      }
      assertThat(pooler.backendsOf(Roles.ADMIN)).as("one idle pooled server").isEqualTo(1);
      long started = System.nanoTime();
      try (Connection r = replicationClient(pooler)) {
        assertThat(Sql.one(r, "IDENTIFY_SYSTEM")).isNotEmpty();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(4);
        assertThat(backendsOf(pooler, 0)).as("the idle server was closed").isZero();
      }
      // The pool serves ordinary clients again once the walsender is gone.
      try (Connection c = pooler.connect(Roles.ADMIN)) {
        assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      }
    }
  }
}
