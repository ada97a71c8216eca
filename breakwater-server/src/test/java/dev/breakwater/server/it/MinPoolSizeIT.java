package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * min_pool_size for a database with a forced user: its servers open before any client comes, as in
 * PgBouncer; a database without one opens none until a client has made its pool.
 */
class MinPoolSizeIT {

  private static int backends(Pooler p, String user) throws Exception {
    try (Connection c = p.postgres().superuser();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'postgres' AND usename = '"
                    + user + "' AND backend_type = 'client backend'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static int await(Pooler p, String user, int expected) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    int n;
    while ((n = backends(p, user)) != expected && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    return n;
  }

  @Test
  void aForcedUserDatabaseOpensItsMinimumWithNoClient() throws Exception {
    try (Pooler p =
        Pooler.builder()
            .database("minforced = dbname=postgres user=" + Roles.TRUST + " min_pool_size=2")
            .database("minfree = dbname=postgres min_pool_size=2")
            .start()) {
      assertThat(await(p, Roles.TRUST, 2)).isEqualTo(2);
      // Not more than the minimum, and nothing for the database every client may log in to.
      Thread.sleep(500);
      assertThat(backends(p, Roles.TRUST)).isEqualTo(2);
      assertThat(backends(p, Roles.PLAIN)).isZero();
    }
  }
}
