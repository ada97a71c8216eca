package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A server running its reset query is on its way back to the pool: a client that asks for a
 * server meanwhile waits for it, as PgBouncer waits for its tested servers, rather than having a
 * second server opened for it.
 */
class ServerOnItsWayIT {

  @Test
  void aClientWaitsForTheServerBeingResetInsteadOfOpeningAnother() throws Exception {
    try (Pooler pooler =
            Pooler.builder()
                .poolSize(5)
                .threads(1)
                .set("server_reset_query", "SELECT pg_sleep(0.4)")
                .set("server_reset_query_always", "1")
                .start();
        Connection a = pooler.connect(Roles.PLAIN);
        Connection b = pooler.connect(Roles.PLAIN)) {
      assertThat(one(a)).isEqualTo(1);
      // The one server now runs the reset query for 0.4 s.
      long start = System.nanoTime();
      assertThat(one(b)).isEqualTo(1);
      long waitedMs = (System.nanoTime() - start) / 1_000_000;
      assertThat(pooler.backendsOf(Roles.PLAIN)).as("no second server was opened").isEqualTo(1);
      assertThat(waitedMs).as("b waited for the reset to finish").isGreaterThanOrEqualTo(200);
    }
  }

  private static int one(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
