package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Messages from PostgreSQL over the 1 MiB the pooler reads whole reach the client: an
 * ErrorResponse quoting two million bytes of input used to drop the client and its server (the
 * scanner refused it as too long); it is now relayed as it streams, the pooler reading only its
 * first bytes (severity, SQLSTATE).
 */
class LargeServerMessagesIT {

  static final int SIZE = 2_000_000;
  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(1).start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  @Test
  void aLongErrorReachesTheClientAndTheSessionGoesOn() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN);
        Statement s = c.createStatement()) {
      int pid = pid(s);
      assertThatThrownBy(() -> s.executeQuery("SELECT repeat('x', " + SIZE + ")::int"))
          .isInstanceOfSatisfying(
              SQLException.class,
              e -> {
                assertThat(e.getSQLState()).isEqualTo("22P02");
                assertThat(e.getMessage()).contains("invalid input syntax for type integer");
                assertThat(e.getMessage().length()).isGreaterThan(SIZE);
              });
      // Extended protocol, then a transaction left failed by a long error and rolled back.
      try (PreparedStatement ps = c.prepareStatement("SELECT repeat('y', ?)::int")) {
        ps.setInt(1, SIZE);
        assertThatThrownBy(ps::executeQuery)
            .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("22P02"));
      }
      c.setAutoCommit(false);
      s.execute("SELECT 1");
      assertThatThrownBy(() -> s.execute("SELECT repeat('z', " + SIZE + ")::int"))
          .isInstanceOf(SQLException.class);
      assertThatThrownBy(() -> s.execute("SELECT 1"))
          .isInstanceOfSatisfying(SQLException.class, e -> assertThat(e.getSQLState()).isEqualTo("25P02"));
      c.rollback();
      c.setAutoCommit(true);
      assertThat(pid(s)).as("the same server, kept").isEqualTo(pid);
    }
  }

  @Test
  void aLongNoticeAndALongRaisedErrorReachTheClient() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN);
        Statement s = c.createStatement()) {
      s.execute("DO $$ BEGIN RAISE NOTICE '%', repeat('n', " + SIZE + "); END $$");
      SQLWarning w = s.getWarnings();
      assertThat((Object) w).isNotNull();
      assertThat(w.getMessage().length()).isGreaterThanOrEqualTo(SIZE);
      assertThatThrownBy(
              () -> s.execute(
                  "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'P0042', MESSAGE = 'long',"
                      + " DETAIL = repeat('d', " + SIZE + "); END $$"))
          .isInstanceOfSatisfying(
              SQLException.class,
              e -> {
                assertThat(e.getSQLState()).isEqualTo("P0042");
                assertThat(((org.postgresql.util.PSQLException) e).getServerErrorMessage().getDetail())
                    .hasSize(SIZE);
              });
      try (ResultSet rs = s.executeQuery("SELECT 42")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(42);
      }
    }
  }

  private static int pid(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
