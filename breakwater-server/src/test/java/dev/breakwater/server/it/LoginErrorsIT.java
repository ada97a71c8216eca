package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static dev.breakwater.server.it.SqlErrors.serverError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

/**
 * Errors at and around login that Breakwater sends itself (unknown database, max_client_conn,
 * query_wait_timeout), with PgBouncer's text and PostgreSQL's SQLSTATEs; and startup parameters
 * that must work through the pooler (extra_float_digits, options -c).
 */
class LoginErrorsIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(1).set("query_wait_timeout", "1").start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  private static void assertServes(Pooler p) throws SQLException {
    try (Connection c = p.connect(Roles.PLAIN)) {
      assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void unknownDatabaseIs3D000() throws Exception {
    assertServerError(
        () -> pooler.connect("nosuchdb", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()).close(),
        "3D000",
        "no such database: nosuchdb");
    assertServes(pooler);
  }

  @Test
  void anUnknownDatabaseIsToldOnlyToAClientThatAuthenticated() throws Exception {
    // As PgBouncer: a wrong password gets the same answer whether the database exists or not.
    assertServerError(
        () -> pooler.connect("nosuchdb", Roles.PLAIN, "wrong", new Properties()).close(),
        "28P01",
        "password authentication failed for user \"" + Roles.PLAIN + "\"");
    assertServerError(
        () -> pooler.connect("nosuchdb", "bw_nobody", "wrong", new Properties()).close(),
        "28P01",
        "password authentication failed for user \"bw_nobody\"");
    assertServes(pooler);
  }

  @Test
  void maxClientConnIs53300() throws Exception {
    try (Pooler p = Pooler.builder().set("max_client_conn", "3").start()) {
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          Connection c = p.connect(Roles.PLAIN);
          assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
          held.add(c);
        }
        assertServerError(
            () -> p.connect(Roles.PLAIN).close(),
            "53300",
            "no more connections allowed (max_client_conn)");
        // A refused client does not use up a slot: still refused, same answer.
        assertServerError(
            () -> p.connect(Roles.PLAIN).close(),
            "53300",
            "no more connections allowed (max_client_conn)");
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
      // Slots come back once clients leave (their close is seen asynchronously).
      long deadline = System.nanoTime() + 5_000_000_000L;
      for (; ; ) {
        try {
          assertServes(p);
          break;
        } catch (SQLException e) {
          if (System.nanoTime() > deadline) {
            throw e;
          }
          Thread.sleep(50);
        }
      }
    }
  }

  @Test
  void exhaustedPoolFailsWithQueryWaitTimeout() throws Exception {
    try (Connection holder = pooler.connect(Roles.PLAIN);
        Connection waiter = pooler.connect(Roles.PLAIN)) {
      holder.setAutoCommit(false);
      Sql.one(holder, "SELECT 1"); // the only server is now holder's until it commits
      long t0 = System.nanoTime();
      ServerErrorMessage m = serverError(() -> Sql.one(waiter, "SELECT 2"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(m.getSQLState()).isEqualTo("53300");
      assertThat(m.getMessage()).contains("query_wait_timeout");
      assertThat(ms).as("waited %d ms for a 1 s query_wait_timeout", ms).isBetween(900L, 2500L);
      // The holder is unharmed and the pooler keeps serving once the server is free.
      assertThat(Sql.one(holder, "SELECT 3")).isEqualTo("3");
      holder.commit();
    }
    assertServes(pooler);
  }

  @Test
  void extraFloatDigitsFromPgjdbcWorksOutOfTheBox() throws Exception {
    // pgjdbc sends extra_float_digits=2 in every startup packet.
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      try (var s = c.createStatement();
          var rs = s.executeQuery("SELECT 0.1::float8, 1.0::float8 / 3")) {
        rs.next();
        assertThat(rs.getDouble(1)).isEqualTo(0.1);
        assertThat(rs.getDouble(2)).isEqualTo(1.0 / 3);
      }
    }
  }

  @Test
  void optionsDashCAppliesPerClientOnASharedServer() throws Exception {
    Properties withOption = new Properties();
    withOption.setProperty("options", "-c statement_timeout=1234");
    try (Connection a = pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), withOption);
        Connection b = pooler.connect(Roles.PLAIN)) {
      for (int round = 0; round < 3; round++) {
        int pidA = Sql.pid(a);
        assertThat(Sql.one(a, "SHOW statement_timeout")).as("round %d, a", round).isEqualTo("1234ms");
        int pidB = Sql.pid(b);
        assertThat(pidB).as("pool_size 1: one server for both").isEqualTo(pidA);
        assertThat(Sql.one(b, "SHOW statement_timeout")).as("round %d, b", round).isEqualTo("0");
      }
    }
    // The server goes back to the pool without the option for the next client.
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(Sql.one(c, "SHOW statement_timeout")).isEqualTo("0");
    }
  }

  @Test
  void ignoreStartupParametersAppliesToOptionsDashCToo() throws Exception {
    // PgBouncer's test_options_startup_param: an ignored parameter is ignored however it comes.
    try (Pooler p = Pooler.builder().set("ignore_startup_parameters", "extra_float_digits, work_mem").start()) {
      Properties withOption = new Properties();
      withOption.setProperty("options", "-c work_mem=1234kB -c statement_timeout=4321");
      try (Connection c = p.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), withOption)) {
        assertThat(Sql.one(c, "SHOW work_mem")).isEqualTo("4MB");
        assertThat(Sql.one(c, "SHOW statement_timeout")).as("the others still apply").isEqualTo("4321ms");
      }
    }
    // options itself in the list: what cannot be applied is ignored, the settings still apply.
    try (Pooler p = Pooler.builder().set("ignore_startup_parameters", "extra_float_digits, options").start()) {
      Properties withOption = new Properties();
      withOption.setProperty("options", "-c statement_timeout=4321");
      try (Connection c = p.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), withOption)) {
        assertThat(Sql.one(c, "SHOW statement_timeout")).isEqualTo("4321ms");
      }
      withOption.setProperty("options", "-d");
      try (Connection c = p.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), withOption)) {
        assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      }
    }
  }

  /**
   * A setting PostgreSQL refuses (a value it cannot parse) is known to be bad only when it is set
   * on a server, ahead of the client's first query: the client gets PostgreSQL's error and a close,
   * and the next client is served (the pool's one server closed and replaced).
   */
  @Test
  void anOptionPostgresRefusesEndsTheClientWithItsError() throws Exception {
    Properties bad = new Properties();
    bad.setProperty("options", "-c work_mem=banana");
    // pgjdbc's first query is its own, at connect.
    assertServerError(
        () -> pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), bad).close(),
        "22023",
        "invalid value for parameter \"work_mem\": \"banana\"");
    assertServes(pooler);
  }

  @Test
  void badOptionsAreRefusedAtLogin() throws Exception {
    Properties bad = new Properties();
    bad.setProperty("options", "-x");
    // Only settings are accepted in options; anything else is an error at login, not later.
    serverError(
        () -> pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), bad).close());
    // PgBouncer's words, which its test suite and scripts match.
    for (String options : new String[] {"-d", "-c timezone"}) {
      bad.setProperty("options", options);
      assertThatThrownBy(() -> pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), bad).close())
          .hasMessageContaining("unsupported options startup parameter: only '-c config=val' and '--config=val' are allowed");
    }
    assertServes(pooler);
  }

  @Test
  void refusedClientsGiveBackTheirSlots() throws Exception {
    try (Pooler p = Pooler.builder().set("max_client_conn", "3").start()) {
      for (int i = 0; i < 5; i++) {
        serverError(() -> p.connect(Roles.DATABASE, Roles.PLAIN, "wrong", new Properties()).close());
        serverError(() -> p.connect("nosuchdb", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()).close());
        serverError(() -> p.connect(Roles.DATABASE, "bw_nobody", "x", new Properties()).close());
      }
      List<Connection> held = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          Connection c = connectSoon(p);
          assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
          held.add(c);
        }
      } finally {
        for (Connection c : held) {
          c.close();
        }
      }
    }
  }

  /** Connects, retrying for a moment while closed clients are still being counted down. */
  private static Connection connectSoon(Pooler p) throws Exception {
    long deadline = System.nanoTime() + 3_000_000_000L;
    for (; ; ) {
      try {
        return p.connect(Roles.PLAIN);
      } catch (SQLException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        Thread.sleep(50);
      }
    }
  }

  @Test
  void clientThatSendsNothingIsClosedAfterClientLoginTimeout() throws Exception {
    try (Pooler p = Pooler.builder().set("client_login_timeout", "1").start();
        PgWire w = new PgWire(p.port())) {
      long t0 = System.nanoTime();
      w.errorThenClose(); // socket timeout 5 s: fails the test if the pooler never closes
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(ms).isBetween(800L, 3000L);
    }
  }

  @Test
  void clientLoginTimeoutCoversThePasswordExchange() throws Exception {
    // A client that sends its startup packet and never answers the password request has not
    // logged in: client_login_timeout must close it too, or such clients pile up against
    // max_client_conn (PgBouncer counts the whole login against client_login_timeout).
    try (Pooler p = Pooler.builder().set("client_login_timeout", "1").start();
        PgWire w = new PgWire(p.port())) {
      w.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE));
      assertThat(w.read().type()).isEqualTo('R');
      long t0 = System.nanoTime();
      w.errorThenClose(); // socket timeout 5 s: fails the test if the pooler never closes
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(ms).isBetween(500L, 3000L);
    }
  }
}
