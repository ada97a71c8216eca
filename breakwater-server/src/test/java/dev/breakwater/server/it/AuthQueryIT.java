package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Users the auth file does not list, looked up with auth_query as auth_user: right and wrong
 * passwords, unknown and expired users answered alike, and a burst of logins served by one query.
 */
class AuthQueryIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    var pg = dev.breakwater.testkit.TestPostgres.shared();
    pg.execute(
        "DROP ROLE IF EXISTS bw_q_scram",
        "DROP ROLE IF EXISTS bw_q_expired",
        "CREATE ROLE bw_q_scram LOGIN PASSWORD 'q_pw'",
        "CREATE ROLE bw_q_expired LOGIN PASSWORD 'q_pw' VALID UNTIL '2001-01-01'",
        "CREATE TABLE IF NOT EXISTS bw_lookups (n int)",
        "CREATE OR REPLACE FUNCTION bw_lookup(u text) RETURNS TABLE (usename name, passwd text)"
            + " LANGUAGE plpgsql AS $$ BEGIN INSERT INTO bw_lookups VALUES (1);"
            + " RETURN QUERY SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END"
            + " FROM pg_authid WHERE rolname = u AND rolcanlogin; END $$");
    pooler =
        Pooler.builder()
            .set("auth_user", Roles.ADMIN)
            .set("auth_dbname", "postgres")
            .set("auth_query", "SELECT usename, passwd FROM bw_lookup($1)")
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  private static Connection login(String user, String password) throws SQLException {
    return pooler.connect(Roles.DATABASE, user, password, new Properties());
  }

  @Test
  void aUserFoundByAuthQueryLogsInAndReachesTheServer() throws Exception {
    try (Connection c = login("bw_q_scram", "q_pw");
        ResultSet rs = c.createStatement().executeQuery("SELECT current_user")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("bw_q_scram");
    }
  }

  @Test
  void wrongPasswordUnknownUserAndExpiredUserGetTheSameAnswer() {
    for (String[] attempt :
        new String[][] {{"bw_q_scram", "nope"}, {"bw_q_nobody", "q_pw"}, {"bw_q_expired", "q_pw"}}) {
      assertThatThrownBy(() -> login(attempt[0], attempt[1]))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"))
          .hasMessageContaining("password authentication failed for user \"" + attempt[0] + "\"");
    }
  }

  @Test
  void aBurstOfLoginsCostsOneQuery() throws Exception {
    int before = lookups();
    List<CompletableFuture<Void>> logins = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      logins.add(
          CompletableFuture.runAsync(
              () -> {
                try (Connection c = login("bw_q_scram", "q_pw")) {
                  c.isValid(2);
                } catch (SQLException e) {
                  throw new RuntimeException(e);
                }
              }));
    }
    CompletableFuture.allOf(logins.toArray(new CompletableFuture[0])).join();
    assertThat(lookups() - before).isLessThanOrEqualTo(1);
  }

  private static int lookups() throws SQLException {
    try (Connection c = pooler.postgres().superuser();
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM bw_lookups")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
