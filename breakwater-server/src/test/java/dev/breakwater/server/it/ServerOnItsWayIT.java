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
    try (Pooler pooler = resettingFor("0.4")) {
      long waitedMs = secondClientWaitsMs(pooler);
      assertThat(pooler.backendsOf(Roles.PLAIN)).as("no second server was opened").isEqualTo(1);
      assertThat(waitedMs).as("b waited for the reset to finish").isGreaterThanOrEqualTo(200);
    }
  }

  @Test
  void aResetRunningLongerThanASecondNoLongerKeepsANewServerFromOpening() throws Exception {
    try (Pooler pooler = resettingFor("4")) {
      long waitedMs = secondClientWaitsMs(pooler);
      assertThat(waitedMs).as("b had a new server well before the 4 s reset ended").isLessThan(3_000);
    }
  }

  /**
   * Client a runs a query, so that the server it had runs the reset query; then client b runs one:
   * how long b took, in ms.
   */
  private static long secondClientWaitsMs(Pooler pooler) throws Exception {
    try (Connection a = pooler.connect(Roles.PLAIN);
        Connection b = pooler.connect(Roles.PLAIN)) {
      assertThat(one(a)).isEqualTo(1);
      long start = System.nanoTime();
      assertThat(one(b)).isEqualTo(1);
      return (System.nanoTime() - start) / 1_000_000;
    }
  }

  /** A pool of 5 that runs {@code SELECT pg_sleep(seconds)} as its reset after every transaction. */
  private static Pooler resettingFor(String seconds) throws Exception {
    return Pooler.builder()
        .poolSize(5)
        .threads(1)
        .set("server_reset_query", "SELECT pg_sleep(" + seconds + ")")
        .set("server_reset_query_always", "1")
        .start();
  }

  private static int one(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
