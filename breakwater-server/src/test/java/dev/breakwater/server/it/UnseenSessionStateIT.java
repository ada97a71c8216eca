package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.pool.Pool;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Session state set where the SQL scanner cannot follow it (a DO block, a function, a statement
 * the splitter misread, an error after a SET, a prepared SET run again, text lexed under
 * standard_conforming_strings off) never reaches the next client on the same server, and the
 * client that set it keeps seeing it on another server: the pooler reads the session state back
 * after such a transaction and adopts it (issue 17).
 *
 * <p>Two servers, one event loop: a client that ran the statement leaves its server on top of the
 * idle stack, so the next client gets that server; a client holding a transaction open on it
 * sends the first client to the other server.
 */
class UnseenSessionStateIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().set("auth_type", "trust").poolSize(2).threads(1).start();
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null)) {
      Sql.exec(c, "CREATE OR REPLACE FUNCTION bw_unseen_set(name text, v text) RETURNS text LANGUAGE sql"
          + " AS $$ SELECT pg_catalog.set_config(name, v, false) $$");
      Sql.exec(c, "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bw_unseen_tenant')"
          + " THEN CREATE ROLE bw_unseen_tenant; END IF; END$$");
      Sql.exec(c, "GRANT bw_unseen_tenant TO " + Roles.TRUST);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null)) {
      Sql.exec(c, "DROP FUNCTION IF EXISTS bw_unseen_set(text, text)");
    }
    pooler.close();
  }

  private static Connection connect() throws SQLException {
    return pooler.connect(Roles.TRUST);
  }

  /**
   * Runs {@code set} on a fresh client, then checks that the next client on the same server sees
   * {@code expectedDefault} for {@code setting} and that the first client sees {@code expected} on
   * the same server and on the other one.
   */
  private static void assertFollowsItsClientOnly(String set, String setting, String expected, String expectedDefault)
      throws Exception {
    assertFollowsItsClientOnly(set, setting, expected, expectedDefault, true);
  }

  /**
   * {@code set} holds statements one per line; a line starting with {@code !} is expected to fail.
   * {@code checked}: whether the pooler had to read the state back (false where it reads the SQL).
   */
  private static void assertFollowsItsClientOnly(
      String set, String setting, String expected, String expectedDefault, boolean checked) throws Exception {
    long checksBefore = stateChecks();
    try (Connection a = connect(); Connection b = connect()) {
      int aServer = Sql.pid(a);
      for (String sql : set.split("\n")) {
        if (sql.startsWith("!")) {
          assertThatThrownBy(() -> Sql.exec(a, sql.substring(1))).isInstanceOf(SQLException.class);
        } else {
          Sql.exec(a, sql);
        }
      }
      // The check runs after a's last transaction while a keeps the server; then the server goes
      // back to the pool (reset first when a check ran).
      awaitIdle();
      assertThat(Sql.pid(b)).as("b gets the server a used").isEqualTo(aServer);
      assertThat(Sql.one(b, "SELECT current_setting('" + setting + "', true)"))
          .as(set + ": the next client on the server").isEqualTo(expectedDefault);
      b.setAutoCommit(false);
      assertThat(Sql.pid(b)).isEqualTo(aServer);
      assertThat(Sql.pid(a)).as("a on the other server").isNotEqualTo(aServer);
      assertThat(Sql.one(a, "SELECT current_setting('" + setting + "', true)"))
          .as(set + ": its own client, on another server").isEqualTo(expected);
      b.commit();
    }
    if (checked) {
      assertThat(stateChecks()).as("the state was read back").isGreaterThan(checksBefore);
    }
  }

  /** Waits until every server is back in the pool (a reset after a check may still run). */
  private static void awaitIdle() throws InterruptedException {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      boolean idle = true;
      for (Pool p : pooler.breakwater().pools().all()) {
        for (var s : p.servers()) {
          idle &= s.state() == dev.breakwater.server.pool.ServerState.IDLE;
        }
      }
      if (idle) {
        return;
      }
      Thread.sleep(5);
    }
    throw new AssertionError("servers still busy after 5 s");
  }

  private static long stateChecks() {
    long n = 0;
    for (Pool p : pooler.breakwater().pools().all()) {
      n += p.stats().totals().stateChecks();
    }
    return n;
  }

  @Test
  void aSetInsideADoBlock() throws Exception {
    assertFollowsItsClientOnly(
        "DO $$BEGIN SET search_path = evil, public; END$$", "search_path", "evil, public", "\"$user\", public");
  }

  @Test
  void aSetInsideAFunction() throws Exception {
    assertFollowsItsClientOnly("SELECT bw_unseen_set('work_mem', '11MB')", "work_mem", "11MB", "4MB");
  }

  /**
   * pg_settings does not list custom placeholders (a name with a dot that no extension defines):
   * the check cannot see them, so the server is reset (RESET ALL) before anyone else gets it. The
   * client sees its value only while it keeps that server (documented): here, its transaction.
   */
  @Test
  void aPlaceholderSetInsideAFunctionNeverReachesTheNextClient() throws Exception {
    try (Connection a = connect(); Connection b = connect()) {
      a.setAutoCommit(false);
      int aServer = Sql.pid(a);
      Sql.exec(a, "SELECT bw_unseen_set('bw.owner', 'alice')");
      assertThat(Sql.one(a, "SELECT current_setting('bw.owner', true)")).isEqualTo("alice");
      a.commit();
      awaitIdle();
      assertThat(Sql.pid(b)).isEqualTo(aServer);
      assertThat(Sql.one(b, "SELECT current_setting('bw.owner', true)")).isIn(null, "");
    }
  }

  @Test
  void aFunctionNamedBeginDoesNotHideTheSetAfterIt() throws Exception {
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null)) {
      Sql.exec(c, "CREATE SCHEMA IF NOT EXISTS bw_unseen; GRANT ALL ON SCHEMA bw_unseen TO PUBLIC");
    }
    assertFollowsItsClientOnly(
        "CREATE OR REPLACE FUNCTION bw_unseen.begin() RETURNS int LANGUAGE sql AS 'select 1'; SET work_mem = '7MB'",
        "work_mem", "7MB", "4MB", false);
  }

  @Test
  void aSetKeptThroughARolledBackSavepoint() throws Exception {
    // pgjdbc's autosave and Django's atomic blocks do this: the SET before the savepoint stands.
    assertFollowsItsClientOnly(
        "BEGIN\nSET work_mem = '9MB'\nSAVEPOINT s\n!SELECT 1/0\nROLLBACK TO s\nCOMMIT",
        "work_mem", "9MB", "4MB");
  }

  @Test
  void aSetLexedWithStandardConformingStringsOff() throws Exception {
    // Read with standard_conforming_strings on, the text would not lex and seem to do nothing.
    assertFollowsItsClientOnly(
        "SET standard_conforming_strings = off\nSELECT 'x\\'' ; SET work_mem = '5MB'",
        "work_mem", "5MB", "4MB", false);
  }

  @Test
  void aNamedPreparedSetRunAgainWithoutItsParse() throws Exception {
    try (PgWire a = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "");
        Connection b = connect()) {
      byte[] parse = PgWire.typed('P', PgWire.concat(PgWire.cstrings("s1", "SET work_mem = '3MB'"), new byte[] {0, 0}));
      byte[] bind = PgWire.typed('B', PgWire.concat(PgWire.cstrings("", "s1"), new byte[] {0, 0, 0, 0, 0, 0}));
      a.send(parse, bind, PgWire.execute(), PgWire.sync());
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
      a.send(PgWire.query("RESET work_mem"));
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
      // Run again with no Parse: the SET happens again.
      a.send(bind, PgWire.execute(), PgWire.sync());
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
      assertWorkMemOnlyItsOwn(a, b, "3MB");
    }
  }

  /**
   * {@code b}, lent the server {@code a} used, sees the default work_mem; then, holding that server
   * in a transaction, it sends {@code a} to the other one, where {@code a} sees its own.
   */
  private static void assertWorkMemOnlyItsOwn(PgWire a, Connection b, String own) throws Exception {
    assertThat(Sql.one(b, "SHOW work_mem")).as("the next client").isEqualTo("4MB");
    b.setAutoCommit(false);
    Sql.pid(b);
    a.send(PgWire.query("SHOW work_mem"));
    PgWire.Message row = a.readUntil('D');
    assertThat(row.type()).isEqualTo('D');
    assertThat(new String(row.body(), java.nio.charset.StandardCharsets.UTF_8)).contains(own);
    assertThat(a.readUntil('Z').type()).isEqualTo('Z');
    b.commit();
  }

  /** A message longer than the pooler reads (64 MiB) is forwarded unread: its effects are read back. */
  @Test
  void aSetInAQueryTooLongToRead() throws Exception {
    String padding = "x".repeat((64 << 20) + 1024);
    try (PgWire a = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "");
        Connection b = connect()) {
      a.send(PgWire.query("SET work_mem = '13MB'; SELECT length('" + padding + "')"));
      PgWire.Message z = a.readUntil('Z');
      assertThat(z.type()).as("no error: " + z).isEqualTo('Z');
      awaitIdle();
      assertWorkMemOnlyItsOwn(a, b, "13MB");
    }
  }

  @Test
  void withoutPreparedStatementMappingSetsAreStillFollowed() throws Exception {
    try (Pooler unmapped =
            Pooler.builder().set("auth_type", "trust").set("max_prepared_statements", "0").poolSize(1).start();
        Connection a = unmapped.connect(Roles.TRUST);
        Connection b = unmapped.connect(Roles.TRUST)) {
      Sql.exec(a, "SET work_mem = '6MB'");
      assertThat(Sql.one(b, "SHOW work_mem")).isEqualTo("4MB");
      assertThat(Sql.one(a, "SHOW work_mem")).isEqualTo("6MB");
      Sql.exec(a, "DO $$BEGIN SET work_mem = '8MB'; END$$");
      assertThat(Sql.one(b, "SHOW work_mem")).isEqualTo("4MB");
      assertThat(Sql.one(a, "SHOW work_mem")).isEqualTo("8MB");
    }
  }

  /** pg_settings does not show role, and RESET ALL does not reset it: read as such, it pins. */
  @Test
  void aRoleSetInsideADoBlockPinsItsClientAndNeverReachesAnother() throws Exception {
    try (Connection a = connect(); Connection b = connect()) {
      int aServer = Sql.pid(a);
      Sql.exec(a, "DO $$BEGIN SET ROLE bw_unseen_tenant; END$$");
      assertThat(Sql.one(a, "SELECT current_user")).isEqualTo("bw_unseen_tenant");
      b.setAutoCommit(false);
      assertThat(Sql.pid(b)).as("a is pinned to its server").isNotEqualTo(aServer);
      assertThat(Sql.one(b, "SELECT current_user")).isEqualTo(Roles.TRUST);
      b.commit();
      assertThat(Sql.pid(a)).isEqualTo(aServer);
    }
    try (Connection c = connect(); Connection d = connect()) {
      c.setAutoCommit(false);
      d.setAutoCommit(false);
      assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(Roles.TRUST);
      assertThat(Sql.one(d, "SELECT current_user")).isEqualTo(Roles.TRUST);
      c.commit();
      d.commit();
    }
  }

  @Test
  void stateThatCannotBeReplayedPinsTheClient() throws Exception {
    try (Connection a = connect(); Connection b = connect()) {
      int aServer = Sql.pid(a);
      Sql.exec(a, "DO $$BEGIN PERFORM pg_advisory_lock(1717); CREATE TEMP TABLE unseen_t (x int); END$$");
      Sql.exec(a, "SELECT 1");
      b.setAutoCommit(false);
      assertThat(Sql.pid(b)).as("b gets the other server: a is pinned").isNotEqualTo(aServer);
      assertThat(Sql.pid(a)).isEqualTo(aServer);
      assertThat(Sql.one(a, "SELECT count(*) FROM unseen_t")).isEqualTo("0");
      b.commit();
    }
    try (Connection c = connect(); Connection d = connect()) {
      // a left: its server was reset before anyone else got it.
      c.setAutoCommit(false);
      d.setAutoCommit(false);
      for (Connection x : new Connection[] {c, d}) {
        assertThat(Sql.one(x, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"))
            .isEqualTo("0");
        assertThat(Sql.one(x, "SELECT to_regclass('pg_temp.unseen_t') IS NULL")).isEqualTo("t");
      }
      c.commit();
      d.commit();
    }
  }
}
