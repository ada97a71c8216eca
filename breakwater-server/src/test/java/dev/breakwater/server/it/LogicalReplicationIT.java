package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static dev.breakwater.server.it.SqlErrors.serverError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.util.ServerErrorMessage;

/**
 * Logical replication connections ({@code replication=database}) through the pooler, in
 * transaction pooling: each gets a walsender of its own, opened with the client's settings, that
 * runs replication commands and SQL, streams logical changes, and goes when the client goes; a
 * role without REPLICATION is refused by PostgreSQL ("login failed") without failing the pool.
 */
class LogicalReplicationIT {

  static TestPostgres pg;
  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pg = TestPostgres.startPrivate(Map.of("wal_level", "logical"));
    pooler = Pooler.builder(pg).poolMode("transaction").poolSize(3).start();
    try (Connection c = pg.connect(Roles.DATABASE, "postgres", null)) {
      Sql.exec(c, "CREATE TABLE repl_it (a int)");
      Sql.exec(c, "GRANT ALL ON repl_it TO PUBLIC");
    }
  }

  @AfterAll
  static void stop() {
    try {
      if (pooler != null) {
        pooler.close();
      }
    } finally {
      if (pg != null) {
        pg.close();
      }
    }
  }

  static Properties replication(String mode) {
    Properties p = new Properties();
    PGProperty.REPLICATION.set(p, mode);
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    return p;
  }

  static Connection connect(String user, Properties p) throws SQLException {
    return pooler.connect(Roles.DATABASE, user, Roles.password(user), p);
  }

  /** Walsenders PostgreSQL has now, waiting up to 5 s for the count to become {@code expected}. */
  static int walsenders(int expected) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (true) {
      int n;
      try (Connection c = pg.superuser();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'")) {
        rs.next();
        n = rs.getInt(1);
      }
      if (n == expected || System.nanoTime() > deadline) {
        return n;
      }
      Thread.sleep(50);
    }
  }

  @Test
  void runsReplicationCommandsAndSqlWithTheClientsSettings() throws Exception {
    Properties p = replication("database");
    PGProperty.APPLICATION_NAME.set(p, "logical-it");
    PGProperty.OPTIONS.set(p, "-c enable_seqscan=off -c work_mem=5MB");
    try (Connection c = connect(Roles.ADMIN, p);
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("systemid")).isNotEmpty();
        assertThat(rs.getString("dbname")).isEqualTo(Roles.DATABASE);
      }
      // Settings went in the walsender's startup packet, none through SET.
      assertThat(Sql.one(c, "SHOW application_name")).isEqualTo("logical-it");
      assertThat(Sql.one(c, "SHOW enable_seqscan")).isEqualTo("off");
      assertThat(Sql.one(c, "SHOW work_mem")).isEqualTo("5MB");
      // Transaction pooling does not apply: the same backend answers every statement.
      String pid = Sql.one(c, "SELECT pg_backend_pid()");
      assertThat(Sql.one(c, "SELECT pg_backend_pid()")).isEqualTo(pid);
      try (Connection admin = pg.superuser()) {
        assertThat(Sql.one(admin, "SELECT backend_type || '/' || application_name FROM pg_stat_activity WHERE pid = " + pid))
            .isEqualTo("walsender/logical-it");
      }
      assertThat(walsenders(1)).isEqualTo(1);
    }
    assertThat(walsenders(0)).as("the walsender goes with its client").isZero();
    // An ordinary client of the same pool is served as before, with its own settings.
    try (Connection c = pooler.connect(Roles.ADMIN)) {
      assertThat(Sql.one(c, "SHOW enable_seqscan")).isEqualTo("on");
      assertThat(Sql.one(c, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'")).isEqualTo("0");
    }
  }

  @Test
  void streamsALogicalChange() throws Exception {
    String slot = "bw_logical_it";
    try (Connection c = connect(Roles.ADMIN, replication("database"))) {
      PGConnection rc = c.unwrap(PGConnection.class);
      rc.getReplicationAPI()
          .createReplicationSlot()
          .logical()
          .withSlotName(slot)
          .withOutputPlugin("test_decoding")
          .make();
      try (PGReplicationStream stream =
          rc.getReplicationAPI().replicationStream().logical().withSlotName(slot).start()) {
        try (Connection w = pooler.connect(Roles.ADMIN)) {
          Sql.exec(w, "INSERT INTO repl_it VALUES (42)");
        }
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (got.size() < 3 && System.nanoTime() < deadline) {
          ByteBuffer b = stream.readPending();
          if (b == null) {
            Thread.sleep(20);
            continue;
          }
          got.add(new String(b.array(), b.arrayOffset() + b.position(), b.remaining(), StandardCharsets.UTF_8));
          stream.setAppliedLSN(stream.getLastReceiveLSN());
          stream.setFlushedLSN(stream.getLastReceiveLSN());
        }
        assertThat(got).hasSize(3);
        assertThat(got.get(0)).startsWith("BEGIN");
        assertThat(got.get(1)).isEqualTo("table public.repl_it: INSERT: a[integer]:42");
        assertThat(got.get(2)).startsWith("COMMIT");
      }
    } finally {
      assertThat(walsenders(0)).isZero();
      pg.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }
  }

  @Test
  void theConnectionLogSaysWhichLinksReplicate() throws Exception {
    try (LogCapture log = new LogCapture(Class.forName("dev.breakwater.server.stats.ConnectionLog"))) {
      try (Connection c = connect(Roles.ADMIN, replication("database"))) {
        assertThat(Sql.one(c, "IDENTIFY_SYSTEM")).isNotEmpty();
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!log.has("replication client disconnected") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(log.lines())
          .anySatisfy(l -> assertThat(l).matches("INFO C-\\d+ bwtest/bw_admin@.*: login ok \\(logical replication, a server of its own\\)"))
          .anySatisfy(l -> assertThat(l).matches("INFO S-\\d+ bw_admin@.*: new logical replication server connection logged in \\(backend pid \\d+\\)"))
          .anySatisfy(l -> assertThat(l).matches("INFO S-\\d+ bw_admin@.*: closing because: replication client disconnected \\(age=.+\\)"));
    }
  }

  @Test
  void aCancelRequestReachesTheWalsender() throws Exception {
    try (Connection c = connect(Roles.ADMIN, replication("database"));
        Statement s = c.createStatement()) {
      CompletableFuture<Void> cancel =
          CompletableFuture.runAsync(
              () -> {
                try {
                  Thread.sleep(500);
                  s.cancel();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      long started = System.nanoTime();
      ServerErrorMessage m = serverError(() -> s.execute("SELECT pg_sleep(30)"));
      cancel.join();
      assertThat(m.getSQLState()).isEqualTo("57014");
      assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(10);
      assertThat(Sql.one(c, "IDENTIFY_SYSTEM")).as("the link carries on").isNotEmpty();
    }
  }

  @Test
  void reconnectClosesAReplicationLinkAtOnce() throws Exception {
    Connection c = connect(Roles.ADMIN, replication("database"));
    try {
      assertThat(Sql.one(c, "IDENTIFY_SYSTEM")).isNotEmpty();
      assertThat(walsenders(1)).isEqualTo(1);
      // A stream has no end to wait for, so RECONNECT does not wait for one (as in PgBouncer).
      pooler.breakwater().reconnect(null);
      assertThat(walsenders(0)).isZero();
      ServerErrorMessage m = serverError(() -> Sql.one(c, "IDENTIFY_SYSTEM"));
      assertThat(m.getSQLState()).isEqualTo("57P01");
    } finally {
      c.close();
    }
    try (Connection again = connect(Roles.ADMIN, replication("database"))) {
      assertThat(Sql.one(again, "IDENTIFY_SYSTEM")).isNotEmpty();
    }
  }

  @Test
  void aUserFoundByAuthQueryReplicates() throws Exception {
    pg.execute("CREATE ROLE bw_q_repl LOGIN REPLICATION PASSWORD 'q_pw'");
    try (Pooler p =
        Pooler.builder(pg).set("auth_user", Roles.ADMIN).set("auth_dbname", "postgres").start()) {
      try (Connection c = p.connect(Roles.DATABASE, "bw_q_repl", "q_pw", replication("database"))) {
        assertThat(Sql.one(c, "IDENTIFY_SYSTEM")).isNotEmpty();
        assertThat(Sql.one(c, "SELECT current_user || '/' || backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid()"))
            .isEqualTo("bw_q_repl/walsender");
      }
    }
  }

  @Test
  void aRoleWithoutReplicationIsRefusedByPostgres() throws Exception {
    ServerErrorMessage m = serverError(() -> connect(Roles.TRUST, replication("database")).close());
    assertThat(m.getSQLState()).isEqualTo("42501");
    assertThat(m.getMessage()).isEqualTo("login failed: permission denied to start WAL sender");
    // The refusal is that client's alone: the pool serves its ordinary clients at once.
    try (Connection c = pooler.connect(Roles.TRUST)) {
      assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
    }
    ServerErrorMessage again = serverError(() -> connect(Roles.TRUST, replication("database")).close());
    assertThat(again.getMessage()).startsWith("login failed:");
  }

  @Test
  void anInvalidReplicationValueIsRefused() throws Exception {
    assertServerError(
        () -> connect(Roles.ADMIN, replication("maybe")).close(),
        "22023",
        "invalid value for parameter \"replication\": \"maybe\"");
    // replication=false is an ordinary connection.
    try (Connection c = connect(Roles.ADMIN, replication("false"))) {
      assertThat(Sql.one(c, "SELECT backend_type FROM pg_stat_activity WHERE pid = pg_backend_pid()"))
          .isEqualTo("client backend");
    }
  }
}
