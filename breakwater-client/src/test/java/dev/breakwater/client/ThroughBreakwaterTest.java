package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.Breakwater;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * statement_timeout through the Breakwater pooler in transaction mode, with a single server
 * connection so that every client's transactions run on the same PostgreSQL backend: the timeout
 * sent as a startup option holds for its client and does not leak to the others.
 */
class ThroughBreakwaterTest {

  private static Breakwater pooler;
  @TempDir static Path dir;

  @BeforeAll
  static void startPooler() throws Exception {
    TestPostgres pg = Pg.shared();
    Files.writeString(
        dir.resolve("userlist.txt"), "\"" + Roles.SCRAM + "\" \"" + Roles.password(Roles.SCRAM) + "\"\n");
    Files.writeString(
        dir.resolve("pgbouncer.ini"),
        String.join(
            "\n",
            "[databases]",
            Roles.DATABASE + " = host=127.0.0.1 port=" + pg.port() + " dbname=" + Roles.DATABASE,
            "",
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            "listen_port = " + TestPostgres.freePort(),
            "auth_type = scram-sha-256",
            "auth_file = " + dir.resolve("userlist.txt"),
            "pool_mode = transaction",
            "default_pool_size = 1",
            "max_client_conn = 100",
            ""));
    pooler = Breakwater.start(dir.resolve("pgbouncer.ini"));
  }

  @AfterAll
  static void stopPooler() {
    if (pooler != null) {
      pooler.close();
    }
  }

  private static String poolerUrl() {
    return "postgres://" + Roles.SCRAM + ":" + Roles.password(Roles.SCRAM) + "@127.0.0.1:" + pooler.port() + "/" + Roles.DATABASE;
  }

  /** A plain pgjdbc connection through the pooler, with no options of its own. */
  private static Connection plainClient() throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", Roles.SCRAM);
    p.setProperty("password", Roles.password(Roles.SCRAM));
    return new org.postgresql.Driver()
        .connect("jdbc:postgresql://127.0.0.1:" + pooler.port() + "/" + Roles.DATABASE, p);
  }

  private static String[] showTimeoutAndBackend(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_setting('statement_timeout'), pg_backend_pid()")) {
      rs.next();
      return new String[] {rs.getString(1), rs.getString(2)};
    }
  }

  @Test
  void theTimeoutHoldsForItsClientAndDoesNotLeakToOthersOnTheSameServer() throws Exception {
    try (BreakwaterPool pool =
            Pg.builder("via-pooler").url(poolerUrl()).statementTimeout(Duration.ofMillis(400)).build();
        Connection ours = pool.getConnection();
        Connection theirs = plainClient()) {
      String[] a = showTimeoutAndBackend(ours);
      String[] b = showTimeoutAndBackend(theirs);
      // One server connection in the pool: both clients are served by the same backend...
      assertThat(a[1]).isEqualTo(b[1]);
      // ...yet each sees its own setting.
      assertThat(a[0]).isEqualTo("400ms");
      assertThat(b[0]).isEqualTo("0");

      try (Statement st = ours.createStatement()) {
        assertThatThrownBy(() -> st.execute("SELECT pg_sleep(3)"))
            .isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo(SqlStates.QUERY_CANCELED));
      }
      // The other client, on the same backend right after, is not cancelled at 400 ms.
      try (Statement st = theirs.createStatement()) {
        st.execute("SELECT pg_sleep(0.8)");
      }
      assertThat(showTimeoutAndBackend(theirs)[0]).isEqualTo("0");
      // And ours still holds, transaction after transaction.
      assertThat(showTimeoutAndBackend(ours)[0]).isEqualTo("400ms");
    }
  }

  @Test
  void healthWorksThroughThePooler() {
    try (BreakwaterPool pool = Pg.builder("via-pooler-health").url(poolerUrl()).build()) {
      assertThat(pool.health().toJson())
          .isEqualTo("{\"status\":\"healthy\",\"pool\":{\"total\":1,\"idle\":1,\"waiting\":0}}");
    }
  }
}
