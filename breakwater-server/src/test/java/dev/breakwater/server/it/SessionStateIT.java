package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Session settings follow the client in transaction mode: a SET made outside a transaction holds
 * on every later transaction, whichever server runs it, and no other client ever runs under it.
 */
class SessionStateIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    // One event loop: which idle server a client is lent is then the pool's LIFO order alone.
    pooler = Pooler.builder().poolSize(3).threads(1).start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  private static String show(Connection c, String setting) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static int pid(Connection c) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void statementTimeoutFollowsItsClientAndNobodyElse() throws Exception {
    try (Connection seeded = pooler.connect(Roles.PLAIN);
        Connection other = pooler.connect(Roles.PLAIN);
        Connection third = pooler.connect(Roles.PLAIN)) {
      seeded.createStatement().execute("SET statement_timeout = '30s'");
      Set<Integer> seededServers = new HashSet<>();
      Set<Integer> otherServers = new HashSet<>();
      for (int i = 0; i < 30; i++) {
        // 0, 1 or 2 transactions held open by the others: the seeded client is lent the first,
        // second or third server of the idle stack, so it runs on every server in turn.
        Connection[] holders = i % 3 == 0 ? new Connection[0] : i % 3 == 1 ? new Connection[] {other} : new Connection[] {other, third};
        for (Connection h : holders) {
          h.setAutoCommit(false);
          otherServers.add(pid(h));
        }
        assertThat(show(seeded, "statement_timeout")).isEqualTo("30s");
        seededServers.add(pid(seeded));
        for (Connection h : holders) {
          h.commit();
          h.setAutoCommit(true);
        }
        assertThat(show(other, "statement_timeout")).isEqualTo("0");
        assertThat(show(third, "statement_timeout")).isEqualTo("0");
      }
      assertThat(seededServers).as("the seeded client used several servers").hasSizeGreaterThan(1);
      assertThat(otherServers).hasSizeGreaterThan(1);
    }
  }

  @Test
  void searchPathIsNeverSeenByAnotherClient() throws Exception {
    try (Connection a = pooler.connect(Roles.PLAIN);
        Connection b = pooler.connect(Roles.PLAIN)) {
      a.createStatement().execute("SET search_path TO pg_catalog, \"$user\"");
      for (int i = 0; i < 20; i++) {
        assertThat(show(a, "search_path")).isEqualTo("pg_catalog, \"$user\"");
        assertThat(show(b, "search_path")).isEqualTo("\"$user\", public");
      }
      a.createStatement().execute("RESET search_path");
      for (int i = 0; i < 5; i++) {
        assertThat(show(a, "search_path")).isEqualTo("\"$user\", public");
      }
    }
  }

  @Test
  void setLocalAndRolledBackSetsAreNotKept() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN);
        Connection other = pooler.connect(Roles.PLAIN)) {
      c.setAutoCommit(false);
      c.createStatement().execute("SET LOCAL work_mem = '7MB'");
      c.createStatement().execute("SET lock_timeout = '7s'");
      c.rollback();
      c.createStatement().execute("SET idle_session_timeout = '77s'");
      c.commit();
      c.setAutoCommit(true);
      for (int i = 0; i < 6; i++) {
        other.setAutoCommit(false);
        pid(other);
        assertThat(show(c, "work_mem")).isEqualTo("4MB");
        assertThat(show(c, "lock_timeout")).isEqualTo("0");
        assertThat(show(c, "idle_session_timeout")).isEqualTo("77s");
        other.commit();
        other.setAutoCommit(true);
        assertThat(show(other, "idle_session_timeout")).isEqualTo("0");
      }
      c.createStatement().execute("RESET ALL");
      assertThat(show(c, "idle_session_timeout")).isEqualTo("0");
    }
  }

  @Test
  void setConfigOutsideATransactionIsKept() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN);
        Connection other = pooler.connect(Roles.PLAIN)) {
      c.createStatement().execute("SELECT set_config('bw.tenant', '42', false)");
      for (int i = 0; i < 6; i++) {
        other.setAutoCommit(false);
        pid(other);
        assertThat(show(c, "bw.tenant")).isEqualTo("42");
        other.commit();
        other.setAutoCommit(true);
      }
    }
  }

  /** SHOW over the simple protocol, on a raw connection. */
  private static String show(PgWire w, String setting) throws java.io.IOException {
    w.send(PgWire.query("SHOW " + setting));
    String value = null;
    for (; ; ) {
      PgWire.Message m = w.read();
      assertThat(m).isNotNull();
      assertThat(m.type()).as("%s", m).isNotEqualTo('E');
      if (m.type() == 'D') {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(m.body());
        b.getShort();
        byte[] v = new byte[b.getInt()];
        b.get(v);
        value = new String(v, java.nio.charset.StandardCharsets.UTF_8);
      } else if (m.type() == 'Z') {
        return value;
      }
    }
  }

  private static void exec(PgWire w, String sql) throws java.io.IOException {
    w.send(PgWire.query(sql));
    assertThat(w.readUntil('Z').type()).isEqualTo('Z');
  }

  /**
   * One server, taken in turn by two clients that send no startup settings (as libpq's do not):
   * the one that holds just the pool's parameters gets them back after the other's SET of a
   * reported parameter (TimeZone) or of another setting, however often the server changes hands.
   * (pgjdbc always sends extra_float_digits and the JVM's time zone, so it cannot show this.)
   */
  @Test
  void aClientWithThePoolsParametersGetsThemBackEveryTime() throws Exception {
    try (Pooler one = Pooler.builder().poolSize(1).set("auth_type", "plain").start();
        PgWire plain = new PgWire(one.port()).login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
        PgWire changed = new PgWire(one.port()).login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN))) {
      String zone = show(plain, "TimeZone");
      String path = show(plain, "search_path");
      exec(changed, "SET TimeZone = 'Asia/Tokyo'");
      for (int i = 0; i < 3; i++) {
        assertThat(show(plain, "TimeZone")).isEqualTo(zone);
        assertThat(show(changed, "TimeZone")).isEqualTo("Asia/Tokyo");
      }
      exec(changed, "SET search_path = pg_catalog");
      for (int i = 0; i < 3; i++) {
        assertThat(show(plain, "TimeZone")).isEqualTo(zone);
        assertThat(show(plain, "search_path")).isEqualTo(path);
        assertThat(show(changed, "TimeZone")).isEqualTo("Asia/Tokyo");
        assertThat(show(changed, "search_path")).isEqualTo("pg_catalog");
      }
      exec(changed, "RESET ALL");
      assertThat(show(changed, "TimeZone")).isEqualTo(zone);
      assertThat(show(plain, "TimeZone")).isEqualTo(zone);
      assertThat(show(plain, "search_path")).isEqualTo(path);
    }
  }

  /**
   * One server taken in turn by clients that, like libpq's, send only application_name: two with
   * the same name and one with another. A server that agreed with one of the first two lends
   * itself to the other without comparing parameters; it must still notice every change.
   */
  @Test
  void clientsWithTheSameApplicationNameKeepTheirOwnSettings() throws Exception {
    try (Pooler one = Pooler.builder().poolSize(1).set("auth_type", "plain").start();
        PgWire a1 = new PgWire(one.port())
            .login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), "application_name", "app_a");
        PgWire a2 = new PgWire(one.port())
            .login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), "application_name", "app_a");
        PgWire b = new PgWire(one.port())
            .login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), "application_name", "app_b")) {
      String zone = show(a1, "TimeZone");
      for (int i = 0; i < 3; i++) {
        assertThat(show(a1, "application_name")).isEqualTo("app_a");
        assertThat(show(a2, "application_name")).isEqualTo("app_a");
        assertThat(show(b, "application_name")).isEqualTo("app_b");
        assertThat(show(a2, "application_name")).isEqualTo("app_a");
      }
      exec(a2, "SET TimeZone = 'Asia/Tokyo'");
      for (int i = 0; i < 3; i++) {
        assertThat(show(a1, "TimeZone")).isEqualTo(zone);
        assertThat(show(a2, "TimeZone")).isEqualTo("Asia/Tokyo");
        assertThat(show(a1, "application_name")).isEqualTo("app_a");
        assertThat(show(b, "TimeZone")).isEqualTo(zone);
      }
      exec(a2, "SET TimeZone = '" + zone + "'");
      exec(a1, "SET application_name = 'app_b'");
      assertThat(show(a2, "TimeZone")).isEqualTo(zone);
      assertThat(show(a2, "application_name")).isEqualTo("app_a");
      assertThat(show(a1, "application_name")).isEqualTo("app_b");
      assertThat(show(b, "application_name")).isEqualTo("app_b");
      assertThat(show(a2, "application_name")).isEqualTo("app_a");
    }
  }
}
