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
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** Each timeout firing with its SQLSTATE, and not firing when it should not. */
class TimeoutsIT {

  private static String sqlState(Throwable e) {
    return ((SQLException) e).getSQLState();
  }

  @Test
  void queryTimeoutCancelsLongQueriesOnly() throws Exception {
    try (Pooler pooler = Pooler.builder().set("query_timeout", "0.5").start();
        Connection c = pooler.connect(Roles.PLAIN);
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_sleep(0.1)");
      long start = System.nanoTime();
      assertThatThrownBy(() -> s.execute("SELECT pg_sleep(10)"))
          .satisfies(e -> assertThat(sqlState(e)).isEqualTo("57014"))
          // Not PostgreSQL's "due to user request": the client did not ask (PgBouncer's words).
          .hasMessageContaining("canceling statement due to query timeout (query_timeout)");
      assertThat((System.nanoTime() - start) / 1_000_000).isBetween(400L, 3000L);
      try (ResultSet rs = s.executeQuery("SELECT 1")) {
        assertThat(rs.next()).as("the client keeps its connection").isTrue();
      }
    }
  }

  @Test
  void queryTimeoutAlsoBoundsTheWaitForAServer() throws Exception {
    // As PgBouncer: the wait counts against query_timeout when it is shorter than query_wait_timeout.
    try (Pooler pooler = Pooler.builder().set("query_timeout", "0.5").poolSize(1).start();
        Connection holder = pooler.connect(Roles.PLAIN);
        Connection waiter = pooler.connect(Roles.PLAIN)) {
      holder.setAutoCommit(false);
      Sql.exec(holder, "SELECT 1"); // idle in transaction: the only server stays taken
      long start = System.nanoTime();
      assertThatThrownBy(() -> Sql.exec(waiter, "SELECT 2"))
          .satisfies(e -> assertThat(sqlState(e)).isEqualTo("57014"))
          .hasMessageContaining("query_timeout");
      assertThat((System.nanoTime() - start) / 1_000_000).isBetween(400L, 3000L);
      holder.rollback();
    }
  }

  @Test
  void idleTransactionTimeoutClosesTheIdleClientOnly() throws Exception {
    try (Pooler pooler = Pooler.builder().set("idle_transaction_timeout", "0.5").poolSize(1).start();
        Connection idle = pooler.connect(Roles.PLAIN);
        Connection busy = pooler.connect(Roles.PLAIN)) {
      busy.setAutoCommit(false);
      busy.createStatement().execute("SELECT pg_sleep(1)");
      busy.commit();
      idle.setAutoCommit(false);
      idle.createStatement().execute("SELECT 1");
      Thread.sleep(1200);
      assertThatThrownBy(() -> idle.createStatement().execute("SELECT 1"))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(e.getMessage()).contains("idle transaction timeout"));
      try (Connection next = pooler.connect(Roles.PLAIN);
          ResultSet rs = next.createStatement().executeQuery("SELECT txid_current_if_assigned() IS NULL")) {
        rs.next();
        assertThat(rs.getBoolean(1)).as("the server came back clean").isTrue();
      }
    }
  }

  @Test
  void transactionTimeoutEndsLongTransactions() throws Exception {
    try (Pooler pooler = Pooler.builder().set("transaction_timeout", "0.8").start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      c.setAutoCommit(false);
      Statement s = c.createStatement();
      s.execute("SELECT 1");
      Thread.sleep(300);
      s.execute("SELECT 2");
      Thread.sleep(900);
      assertThatThrownBy(() -> s.execute("SELECT 3"))
          .satisfies(e -> assertThat(e.getMessage()).contains("transaction timeout"));
    }
  }

  @Test
  void clientIdleTimeoutClosesSilentClients() throws Exception {
    try (Pooler pooler = Pooler.builder().set("client_idle_timeout", "0.5").start();
        Connection active = pooler.connect(Roles.PLAIN);
        Connection silent = pooler.connect(Roles.PLAIN)) {
      for (int i = 0; i < 6; i++) {
        active.createStatement().execute("SELECT 1");
        Thread.sleep(200);
      }
      assertThatThrownBy(() -> silent.createStatement().execute("SELECT 1"))
          .isInstanceOf(SQLException.class);
      active.createStatement().execute("SELECT 1");
    }
  }

  @Test
  void serverCheckQueryRunsBeforeLendingAnIdleServer() throws Exception {
    try (Pooler pooler = checkingPooler();
        Connection listener = checkListener(pooler);
        Connection c = pooler.connect(Roles.PLAIN)) {
      c.createStatement().execute("SELECT 1");
      c.createStatement().execute("SELECT 1");
      assertThat(notifications(listener)).as("used within the delay: no check").isZero();
      Thread.sleep(400);
      c.createStatement().execute("SELECT 1");
      Thread.sleep(100);
      assertThat(notifications(listener)).as("idle past the delay: checked once").isEqualTo(1);
    }
  }

  @Test
  void aServerHandedFromClientToClientIsNotChecked() throws Exception {
    try (Pooler pooler = checkingPooler();
        Connection listener = checkListener(pooler);
        Connection a = pooler.connect(Roles.PLAIN);
        Connection b = pooler.connect(Roles.PLAIN)) {
      a.createStatement().execute("SELECT 1");
      // a holds the only server past the delay while b waits for it: when a commits, the server
      // goes to b at once, never idle, and is lent without a check.
      a.setAutoCommit(false);
      a.createStatement().execute("SELECT 1");
      CompletableFuture<Integer> waiting =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return pid(b);
                } catch (SQLException e) {
                  throw new IllegalStateException(e);
                }
              });
      Thread.sleep(400);
      assertThat(waiting).as("b waits for the server a holds").isNotDone();
      a.commit();
      a.setAutoCommit(true);
      assertThat(waiting.get(10, TimeUnit.SECONDS)).isEqualTo(pid(a));
      Thread.sleep(100);
      assertThat(notifications(listener)).as("handed on without being idle: no check").isZero();
      Thread.sleep(400);
      b.createStatement().execute("SELECT 1");
      Thread.sleep(100);
      assertThat(notifications(listener)).as("then idle past the delay: checked once").isEqualTo(1);
    }
  }

  @Test
  void theDefaultCheckIsAnEmptyQueryAndKeepsTheServer() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).set("server_check_delay", "0.2").start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      int before = pid(c);
      Thread.sleep(400);
      assertThat(pid(c)).as("the idle server passed its check and was lent again").isEqualTo(before);
    }
  }

  @Test
  void serverIdleTimeoutAndLifetimeCloseServersBetweenUses() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).set("server_idle_timeout", "0.5").start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      int first = pid(c);
      assertThat(pid(c)).as("used within server_idle_timeout: the same server").isEqualTo(first);
      Thread.sleep(900);
      assertThat(pooler.backendsOf(Roles.PLAIN)).as("closed while idle").isZero();
      assertThat(pid(c)).isNotEqualTo(first);
    }
    try (Pooler pooler = Pooler.builder().poolSize(1).set("server_lifetime", "0.6").start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      c.setAutoCommit(false);
      int first = pid(c);
      Thread.sleep(900);
      assertThat(pid(c)).as("never closed under a client").isEqualTo(first);
      c.commit();
      c.setAutoCommit(true);
      assertThat(pid(c)).as("older than server_lifetime: replaced once released").isNotEqualTo(first);
    }
  }

  /** One server, checked with a NOTIFY (see {@link #checkListener}) after 0.2 s unused. */
  private static Pooler checkingPooler() throws Exception {
    return Pooler.builder()
        .poolSize(1)
        .set("server_check_delay", "0.2")
        .set("server_check_query", "NOTIFY bw_check")
        .start();
  }

  /** A direct connection that hears each check query run by {@link #checkingPooler}. */
  private static Connection checkListener(Pooler pooler) throws SQLException {
    Connection c = pooler.postgres().connect(Roles.DATABASE, Roles.ADMIN, Roles.password(Roles.ADMIN));
    c.createStatement().execute("LISTEN bw_check");
    return c;
  }

  private static int pid(Connection c) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static int notifications(Connection c) throws SQLException {
    c.createStatement().execute("SELECT 1");
    PGNotification[] n = c.unwrap(PGConnection.class).getNotifications();
    return n == null ? 0 : n.length;
  }
}
