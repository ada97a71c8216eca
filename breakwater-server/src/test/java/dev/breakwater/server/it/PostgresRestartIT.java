package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL restarts under 20 clients looping short transactions: those caught in a transaction
 * get a clean error, no dead server is handed to anyone, and transactions succeed again within a
 * second of PostgreSQL accepting connections, although server_login_retry is PgBouncer's 15 s.
 */
class PostgresRestartIT {

  @Test
  void ridesOutARestart() throws Exception {
    try (TestPostgres pg = TestPostgres.startPrivate();
        Pooler pooler = Pooler.builder(pg).poolSize(5).set("server_login_retry", "15").start()) {
      pg.execute(
          "CREATE TABLE IF NOT EXISTS restart_rows (id bigserial, client int)",
          "GRANT ALL ON restart_rows TO PUBLIC",
          "GRANT ALL ON SEQUENCE restart_rows_id_seq TO PUBLIC");
      // The table lives in the postgres database of this private instance.
      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger committed = new AtomicInteger();
      AtomicLong upAt = new AtomicLong(Long.MAX_VALUE);
      AtomicLong firstSuccessAfterUp = new AtomicLong(Long.MAX_VALUE);
      Map<String, Integer> errors = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < 20; t++) {
        int me = t;
        Thread th =
            new Thread(
                () -> {
                  Connection c = null;
                  while (!stop.get()) {
                    try {
                      if (c == null || c.isClosed()) {
                        c = pooler.connect("postgres", Roles.PLAIN, Roles.password(Roles.PLAIN), new java.util.Properties());
                        c.setAutoCommit(false);
                      }
                      try (PreparedStatement ps = c.prepareStatement("INSERT INTO restart_rows (client) VALUES (?)")) {
                        ps.setInt(1, me);
                        ps.executeUpdate();
                      }
                      c.commit();
                      committed.incrementAndGet();
                      long now = System.nanoTime();
                      if (now > upAt.get()) {
                        firstSuccessAfterUp.accumulateAndGet(now, Math::min);
                      }
                    } catch (SQLException e) {
                      String state = String.valueOf(e.getSQLState());
                      errors.merge(state, 1, Integer::sum);
                      if (!(state.startsWith("08") || state.startsWith("57P"))) {
                        unexpected.add(state + " " + e.getMessage());
                      }
                      try {
                        if (c != null) {
                          c.close();
                        }
                      } catch (SQLException ignored) {
                        // gone already
                      }
                      c = null;
                      try {
                        Thread.sleep(20);
                      } catch (InterruptedException ie) {
                        return;
                      }
                    }
                  }
                  try {
                    if (c != null) {
                      c.close();
                    }
                  } catch (SQLException ignored) {
                    // closing
                  }
                });
        th.start();
        threads.add(th);
      }
      Thread.sleep(1500);
      int before = committed.get();
      pg.stop();
      Thread.sleep(1000);
      pg.start();
      upAt.set(System.nanoTime());
      Thread.sleep(3000);
      stop.set(true);
      for (Thread th : threads) {
        th.join(10_000);
      }

      assertThat(before).as("transactions ran before the restart").isPositive();
      assertThat(unexpected).as("only connection errors and shutdown errors").isEmpty();
      assertThat(errors).as("clients noticed the restart").isNotEmpty();
      assertThat(firstSuccessAfterUp.get()).as("service resumed").isNotEqualTo(Long.MAX_VALUE);
      assertThat((firstSuccessAfterUp.get() - upAt.get()) / 1_000_000)
          .as("ms from PostgreSQL up to the first committed transaction")
          .isLessThan(1000);
      try (Connection c = pg.superuser();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT count(*) FROM restart_rows")) {
        rs.next();
        assertThat(rs.getInt(1)).as("every commit reported is there").isGreaterThanOrEqualTo(committed.get());
      }
    }
  }

  @Test
  void aClientArrivingRightAfterARestartIsServedNotToldTheOldError() throws Exception {
    try (TestPostgres pg = TestPostgres.startPrivate();
        Pooler pooler = Pooler.builder(pg).set("server_login_retry", "15").start()) {
      try (Connection c = pooler.connect("postgres", Roles.PLAIN, Roles.password(Roles.PLAIN), new java.util.Properties())) {
        c.createStatement().execute("SELECT 1");
      }
      pg.stop();
      org.assertj.core.api.Assertions.assertThatThrownBy(
              () -> {
                try (Connection c = pooler.connect("postgres", Roles.PLAIN, Roles.password(Roles.PLAIN), new java.util.Properties())) {
                  c.createStatement().execute("SELECT 1");
                }
              })
          .as("PostgreSQL is down")
          .isInstanceOf(SQLException.class);
      pg.start();
      // Within server_login_retry of the failure, with no client left to probe for: the next
      // client gets a fresh attempt rather than the cached "connection refused".
      try (Connection c = pooler.connect("postgres", Roles.PLAIN, Roles.password(Roles.PLAIN), new java.util.Properties())) {
        c.createStatement().execute("SELECT 1");
      }
    }
  }
}
