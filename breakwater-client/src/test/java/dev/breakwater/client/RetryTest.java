package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Transient connect failures are retried within the connection timeout; others are thrown at once.
 * Real servers: a private PostgreSQL stopped and started, a role at its connection limit, a wrong
 * password, a missing database.
 */
class RetryTest {

  private static int selectOne(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aRestartedServerIsReachedAgainWithinTheTimeout() throws Exception {
    TestPostgres pg = TestPostgres.startPrivate();
    try (BreakwaterPool pool =
        Pg.builder(pg, "restart").connectionTimeout(Duration.ofSeconds(20)).build()) {
      try (Connection c = pool.getConnection()) {
        assertThat(selectOne(c)).isEqualTo(1);
      }
      pg.stop();
      long failuresBefore = pool.connectFailures();
      CompletableFuture<Void> restart =
          CompletableFuture.runAsync(
              () -> {
                try {
                  Thread.sleep(1500);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
                pg.start();
              });
      Thread.sleep(600); // let the idle connection's last use age past HikariCP's bypass window
      long start = System.nanoTime();
      try (Connection c = pool.getConnection()) {
        assertThat(selectOne(c)).isEqualTo(1);
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      restart.get(30, TimeUnit.SECONDS);
      assertThat(took).isGreaterThan(Duration.ofMillis(500)).isLessThan(Duration.ofSeconds(20));
      // Refused while down (08001), perhaps "starting up" (57P03): more than one attempt, all retried.
      assertThat(pool.connectFailures() - failuresBefore).isGreaterThanOrEqualTo(2);
    } finally {
      pg.close();
    }
  }

  @Test
  void aServerThatStaysDownEndsInATimeoutCarryingTheLastError() throws Exception {
    TestPostgres pg = TestPostgres.startPrivate();
    pg.stop();
    try (BreakwaterPool pool =
        Pg.builder(pg, "stays-down").connectionTimeout(Duration.ofMillis(1500)).build()) {
      long start = System.nanoTime();
      assertThatThrownBy(pool::getConnection)
          .isInstanceOf(AcquireTimeoutException.class)
          .hasMessageContaining("0 in use, 0 open of max")
          .hasMessageContaining("last connect error")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"))
          .hasCauseInstanceOf(SQLException.class);
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isBetween(Duration.ofMillis(1400), Duration.ofMillis(3000));
      // Jittered backoff from 25 ms doubling to 1 s: several attempts within 1.5 s, not hundreds.
      assertThat(pool.connectAttempts()).isBetween(3L, 30L);
    } finally {
      pg.close();
    }
  }

  @Test
  void tooManyConnectionsIsRetriedUntilASlotFrees() throws Exception {
    TestPostgres pg = Pg.shared();
    pg.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bw_limited') THEN "
            + "CREATE ROLE bw_limited LOGIN PASSWORD 'bw_limited_pw' CONNECTION LIMIT 1; END IF; END $$");
    String url = "postgres://bw_limited:bw_limited_pw@" + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE;
    try (BreakwaterPool pool =
        Pg.builder("limited").url(url).connectionTimeout(Duration.ofSeconds(10)).build()) {
      Connection direct = pg.connect(Roles.DATABASE, "bw_limited", "bw_limited_pw");
      CompletableFuture.runAsync(
          () -> {
            try {
              Thread.sleep(1000);
              direct.close();
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });
      long start = System.nanoTime();
      try (Connection c = pool.getConnection()) {
        assertThat(selectOne(c)).isEqualTo(1);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofMillis(800));
      assertThat(pool.connectFailures()).isGreaterThanOrEqualTo(1);
    }
  }

  @Test
  void aWrongPasswordIsNotRetriedAndFailsAtOnce() throws Exception {
    TestPostgres pg = Pg.shared();
    String url = "postgres://" + Roles.SCRAM + ":wrong@" + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE;
    try (BreakwaterPool pool =
        Pg.builder("wrong-password").url(url).connectionTimeout(Duration.ofSeconds(5)).build()) {
      for (int i = 0; i < 3; i++) {
        long start = System.nanoTime();
        assertThatThrownBy(pool::getConnection)
            .isInstanceOf(SQLNonTransientConnectionException.class)
            .hasMessageContaining("pool 'wrong-password': cannot connect")
            .hasMessageContaining("password authentication failed")
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
      }
      // One attempt per call (HikariCP's own filler may add one more), never a retry loop.
      assertThat(pool.connectAttempts()).isBetween(3L, 6L);
    }
  }

  @Test
  void aMissingDatabaseIsNotRetried() throws Exception {
    TestPostgres pg = Pg.shared();
    String url = "postgres://" + Roles.SCRAM + ":" + Roles.password(Roles.SCRAM) + "@" + pg.host() + ":" + pg.port() + "/nope";
    try (BreakwaterPool pool =
        Pg.builder("no-database").url(url).connectionTimeout(Duration.ofSeconds(5)).build()) {
      long start = System.nanoTime();
      assertThatThrownBy(pool::getConnection)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("3D000"));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(1500));
    }
  }

  @Test
  void theRuleForWhatIsTransient() {
    assertThat(SqlStates.isTransient(new SQLException("x", "53300"))).isTrue();
    assertThat(SqlStates.isTransient(new SQLException("x", "57P01"))).isTrue();
    assertThat(SqlStates.isTransient(new SQLException("x", "57P03"))).isTrue();
    assertThat(SqlStates.isTransient(new SQLException("x", "08001"))).isTrue();
    assertThat(SqlStates.isTransient(new SQLException("x", "08006"))).isTrue();
    assertThat(SqlStates.isTransient(new SQLException("x", "08004"))).isFalse();
    assertThat(SqlStates.isTransient(new SQLException("x", "28P01"))).isFalse();
    assertThat(SqlStates.isTransient(new SQLException("x", "3D000"))).isFalse();
    assertThat(SqlStates.isTransient(new SQLException("x", "42601"))).isFalse();
    assertThat(SqlStates.isTransient(new SQLException("x", null, new java.net.ConnectException()))).isTrue();
    assertThat(SqlStates.isTransient(new SQLException("x", null, new java.net.UnknownHostException()))).isFalse();
  }

  @Test
  void backoffIsJitteredAndCapped() {
    Backoff b = new Backoff(25, 1000, new java.util.Random(42));
    for (int attempt = 0; attempt < 12; attempt++) {
      long full = Math.min(1000, 25L << attempt);
      long d = b.delayMillis(attempt);
      assertThat(d).isBetween(full / 2, full);
    }
    java.util.Set<Long> seen = new java.util.HashSet<>();
    for (int i = 0; i < 20; i++) {
      seen.add(b.delayMillis(6));
    }
    assertThat(seen).hasSizeGreaterThan(5);
  }
}
