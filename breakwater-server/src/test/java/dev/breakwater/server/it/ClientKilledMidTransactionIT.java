package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that vanishes in the middle of a transaction never leaves a dirty server: its work is
 * rolled back, and the next client on the same server starts clean.
 */
class ClientKilledMidTransactionIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(1).start();
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS killed_rows");
      s.execute("CREATE TABLE killed_rows (id int)");
      s.execute("GRANT ALL ON killed_rows TO PUBLIC");
    }
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  @Test
  void idleInTransactionIsRolledBack() throws Exception {
    Connection victim = pooler.connect(Roles.PLAIN);
    victim.setAutoCommit(false);
    int pid;
    try (Statement s = victim.createStatement()) {
      s.execute("INSERT INTO killed_rows VALUES (1)");
      ResultSet rs = s.executeQuery("SELECT pg_backend_pid()");
      rs.next();
      pid = rs.getInt(1);
    }
    // Close the socket without a Terminate message, as a killed process would.
    victim.abort(Executors.newSingleThreadExecutor());

    try (Connection next = pooler.connect(Roles.PLAIN);
        Statement s = next.createStatement()) {
      ResultSet rs =
          s.executeQuery("SELECT pg_backend_pid(), txid_current_if_assigned(), (SELECT count(*) FROM killed_rows)");
      rs.next();
      assertThat(rs.getInt(1)).as("pool of one: same server").isEqualTo(pid);
      assertThat(rs.getObject(2)).as("no transaction carried over").isNull();
      assertThat(rs.getInt(3)).as("the victim's insert was rolled back").isZero();
    }
    assertThat(idleInTransaction()).isZero();
  }

  @Test
  void midQueryTheServerIsCancelledAndReplaced() throws Exception {
    Connection victim = pooler.connect(Roles.PLAIN);
    Thread runner =
        new Thread(
            () -> {
              try (Statement s = victim.createStatement()) {
                s.execute("SELECT pg_sleep(20)");
              } catch (Exception expected) {
                // aborted below
              }
            });
    runner.start();
    Thread.sleep(500);
    victim.abort(Executors.newSingleThreadExecutor());
    runner.join(5000);

    long start = System.nanoTime();
    try (Connection next = pooler.connect(Roles.PLAIN);
        Statement s = next.createStatement()) {
      ResultSet rs = s.executeQuery("SELECT 1");
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(1);
    }
    assertThat((System.nanoTime() - start) / 1_000_000).as("no wait for the sleep to end").isLessThan(5000);
    Thread.sleep(500);
    try (Connection c = pooler.postgres().superuser();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep(20)%' AND state = 'active'")) {
      rs.next();
      assertThat(rs.getInt(1)).as("the abandoned query was cancelled").isZero();
    }
  }

  private static int idleInTransaction() throws Exception {
    try (Connection c = pooler.postgres().superuser();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + Roles.PLAIN + "' AND state LIKE 'idle in transaction%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
