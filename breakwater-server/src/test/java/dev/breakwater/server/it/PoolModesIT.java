package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.serverError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

/**
 * What each pool mode promises. Session: the server is the client's until it leaves, then
 * DISCARD ALL. Transaction: the server goes back to the pool after each transaction, and tracked
 * parameters follow the client. Statement: autocommit only; a transaction block is refused.
 */
class PoolModesIT {

  private static Connection connect(Pooler p, String appName) throws Exception {
    Properties props = new Properties();
    props.setProperty("ApplicationName", appName);
    return p.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), props);
  }

  private static int idleInTransaction(Pooler p) throws Exception {
    try (Connection c = p.postgres().superuser()) {
      return Integer.parseInt(
          Sql.one(
              c,
              "SELECT count(*) FROM pg_stat_activity WHERE usename = 'bw_plain'"
                  + " AND state LIKE 'idle in transaction%'"));
    }
  }

  // ---- Session ----

  @Test
  void sessionModeKeepsTheServerThenResetsIt() throws Exception {
    try (Pooler p =
        Pooler.builder().poolMode("session").poolSize(1).set("query_wait_timeout", "1").start()) {
      int pid;
      try (Connection a = p.connect(Roles.PLAIN)) {
        pid = Sql.pid(a);
        Sql.exec(a, "SET work_mem = '7MB'");
        Sql.exec(a, "CREATE TEMP TABLE bw_session_tmp (x int)");
        Sql.exec(a, "PREPARE bw_session_p AS SELECT 1");
        for (int i = 0; i < 5; i++) {
          assertThat(Sql.pid(a)).as("autocommit statement %d", i).isEqualTo(pid);
          assertThat(Sql.one(a, "SHOW work_mem")).isEqualTo("7MB");
        }
        // The only server stays a's while a is connected, even between transactions.
        // (pgjdbc runs SET extra_float_digits while connecting, so b already waits there.)
        ServerErrorMessage m =
            serverError(
                () -> {
                  try (Connection b = p.connect(Roles.PLAIN)) {
                    Sql.one(b, "SELECT 1");
                  }
                });
        assertThat(m.getSQLState()).isEqualTo("53300");
        assertThat(m.getMessage()).contains("query_wait_timeout");
        assertThat(Sql.pid(a)).isEqualTo(pid);
      }
      try (Connection c = p.connect(Roles.PLAIN)) {
        assertThat(Sql.pid(c)).as("pool_size 1: the same server").isEqualTo(pid);
        assertThat(Sql.one(c, "SHOW work_mem")).as("SET undone by DISCARD ALL").isEqualTo("4MB");
        assertThat(Sql.one(c, "SELECT to_regclass('pg_temp.bw_session_tmp')")).isNull();
        assertThat(Sql.one(c, "SELECT count(*) FROM pg_prepared_statements")).isEqualTo("0");
      }
    }
  }

  // ---- Transaction ----

  @Test
  void transactionModeSharesOneServerBetweenTransactions() throws Exception {
    try (Pooler p = Pooler.builder().poolMode("transaction").poolSize(1).start();
        Connection a = p.connect(Roles.PLAIN);
        Connection b = p.connect(Roles.PLAIN)) {
      int pid = Sql.pid(a);
      for (int i = 0; i < 5; i++) {
        assertThat(Sql.pid(b)).isEqualTo(pid);
        assertThat(Sql.pid(a)).isEqualTo(pid);
      }
      // While a is inside a transaction, b waits for the server; it gets it at a's COMMIT.
      a.setAutoCommit(false);
      assertThat(Sql.pid(a)).isEqualTo(pid);
      CompletableFuture<Integer> bPid =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return Sql.pid(b);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      Thread.sleep(300);
      assertThat(bPid).as("b must wait while a's transaction is open").isNotDone();
      assertThat(Sql.pid(a)).isEqualTo(pid);
      a.commit();
      assertThat(bPid.get(5, TimeUnit.SECONDS)).isEqualTo(pid);
    }
  }

  @Test
  void transactionModeLetsAutocommitStatementsChangeServers() throws Exception {
    try (Pooler p = Pooler.builder().poolMode("transaction").poolSize(2).start();
        Connection b = p.connect(Roles.PLAIN);
        Connection a = p.connect(Roles.PLAIN)) {
      int first = Sql.pid(b); // the only server so far
      a.setAutoCommit(false);
      assertThat(Sql.pid(a)).as("a takes the only idle server").isEqualTo(first);
      int second = Sql.pid(b);
      assertThat(second).as("b is not tied to its first server").isNotEqualTo(first);
      a.commit();
      assertThat(Sql.one(b, "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void transactionModeKeepsTrackedParametersPerClient() throws Exception {
    try (Pooler p = Pooler.builder().poolMode("transaction").poolSize(1).start();
        Connection a = connect(p, "app_a");
        Connection b = connect(p, "app_b")) {
      for (int i = 0; i < 3; i++) {
        assertThat(Sql.one(a, "SHOW application_name")).isEqualTo("app_a");
        assertThat(Sql.one(b, "SHOW application_name")).isEqualTo("app_b");
      }
      // A SET of a tracked parameter follows its client to whatever server it gets next.
      Sql.exec(a, "SET application_name = 'app_a2'");
      assertThat(Sql.one(b, "SHOW application_name")).isEqualTo("app_b");
      assertThat(Sql.one(a, "SHOW application_name")).isEqualTo("app_a2");
      assertThat(Sql.pid(a)).isEqualTo(Sql.pid(b));
    }
  }

  // ---- Statement ----

  @Test
  void statementModeRunsAutocommitStatements() throws Exception {
    try (Pooler p = Pooler.builder().poolMode("statement").poolSize(1).start();
        Connection a = p.connect(Roles.PLAIN);
        Connection b = p.connect(Roles.PLAIN)) {
      for (int i = 0; i < 5; i++) {
        try (PreparedStatement ps = a.prepareStatement("SELECT ?::int + 1")) {
          ps.setInt(1, i);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(i + 1);
          }
        }
        assertThat(Sql.one(b, "SELECT 'b'")).isEqualTo("b");
      }
    }
  }

  @Test
  void statementModeRefusesTransactionBlocks() throws Exception {
    try (Pooler p = Pooler.builder().poolMode("statement").poolSize(1).start();
        Connection other = p.connect(Roles.PLAIN)) {
      assertThat(Sql.one(other, "SELECT 1")).isEqualTo("1");
      // An explicit BEGIN...
      try (Connection c = p.connect(Roles.PLAIN)) {
        ServerErrorMessage m = serverError(() -> Sql.exec(c, "BEGIN"));
        assertThat(m.getMessage()).isEqualTo("transaction blocks not allowed in statement pooling mode");
        assertThat(c.isValid(2)).as("client is closed after the refusal").isFalse();
      }
      // ...and the BEGIN pgjdbc sends for autocommit off.
      try (Connection c = p.connect(Roles.PLAIN)) {
        c.setAutoCommit(false);
        ServerErrorMessage m = serverError(() -> Sql.one(c, "SELECT 1"));
        assertThat(m.getMessage()).isEqualTo("transaction blocks not allowed in statement pooling mode");
      }
      // The one server was rolled back (in statement mode, a server left in a transaction would
      // refuse the next statement too) and still serves others.
      assertThat(Sql.one(other, "SELECT 2")).isEqualTo("2");
      assertThat(idleInTransaction(p)).isZero();
    }
  }
}
