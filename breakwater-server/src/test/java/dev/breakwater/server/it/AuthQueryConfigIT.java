package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * auth_query's configuration as PgBouncer reads it: auth_dbname (the database's, the global one, or
 * the database itself; never the admin console's), a disabled or unconfigured auth database or a
 * failing query ("bouncer config error", the reason only in the log), the admin console's own
 * logins through auth_query, a user with no password under trust (let in, not "no such user"), and a reload that changes the
 * query (the cached answers of the old one are not used).
 */
class AuthQueryConfigIT {

  private static final String USER = "bw_qc_user";
  private static final String NO_PASSWORD = "bw_qc_nopw";
  private static final String PASSWORD = "qc_pw";

  @BeforeAll
  static void roles() throws Exception {
    dev.breakwater.testkit.TestPostgres.shared()
        .execute(
            "DROP ROLE IF EXISTS " + USER,
            "DROP ROLE IF EXISTS " + NO_PASSWORD,
            "CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD + "'",
            "CREATE ROLE " + NO_PASSWORD + " LOGIN");
  }

  private static Pooler.Builder lookingUp() {
    return Pooler.builder().set("auth_user", Roles.ADMIN).set("admin_users", Roles.ADMIN);
  }

  private static Connection login(Pooler p, String database, String user, String password) throws Exception {
    Properties props = new Properties();
    props.setProperty("preferQueryMode", "simple");
    return p.connect(database, user, password, props);
  }

  private static void assertConfigError(Pooler p, String database) {
    assertServerError(() -> login(p, database, USER, PASSWORD).close(), "F0000", "bouncer config error");
  }

  @Test
  void anUnconfiguredAuthDatabaseIsAConfigError() throws Exception {
    try (Pooler p = lookingUp().set("auth_dbname", "nosuchdb").start()) {
      assertConfigError(p, Roles.DATABASE);
    }
  }

  @Test
  void aFailingQueryIsAConfigError() throws Exception {
    try (Pooler p =
        lookingUp()
            .set("auth_dbname", "postgres")
            .set("auth_query", "SELECT usename, passwd FROM bw_no_such_table WHERE usename = $1")
            .start()) {
      assertConfigError(p, Roles.DATABASE);
    }
  }

  @Test
  void theAdminConsoleLooksUsersUpInTheGlobalAuthDatabaseOnly() throws Exception {
    try (Pooler p = lookingUp().set("stats_users", USER).set("auth_dbname", "postgres").start();
        Connection c = login(p, "pgbouncer", USER, PASSWORD)) {
      assertThat(AdminConsoleIT.query(c, "SHOW VERSION").rows()).hasSize(1);
    }
    // With no global auth_dbname the console would have to query itself.
    try (Pooler p = lookingUp().set("stats_users", USER).start()) {
      assertConfigError(p, "pgbouncer");
    }
  }

  @Test
  void aDisabledAuthDatabaseRefusesTheLookup() throws Exception {
    try (Pooler p = lookingUp().database("authsrc = dbname=postgres").set("auth_dbname", "authsrc").start()) {
      try (Connection c = login(p, Roles.DATABASE, USER, PASSWORD)) {
        assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(USER);
      }
      try (Connection admin = login(p, "pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN))) {
        Sql.exec(admin, "DISABLE authsrc");
      }
      assertServerError(
          () -> login(p, Roles.DATABASE, USER, PASSWORD).close(),
          "57P03",
          "authentication database \"authsrc\" is disabled");
    }
  }

  @Test
  void underTrustAUserWithNoPasswordGetsIn() throws Exception {
    // The client is let in; the test server wants SCRAM of every role, so the server login is
    // what fails, and says why (it is not "no such user").
    try (Pooler p = lookingUp().set("auth_type", "trust").set("auth_dbname", "postgres").start()) {
      assertServerError(
          () -> Sql.one(login(p, Roles.DATABASE, NO_PASSWORD, null), "SELECT 1"),
          "28000",
          "no password for user \"" + NO_PASSWORD + "\": the server asks for SCRAM, and neither the"
              + " database entry nor the auth file nor auth_query has a password");
    }
    // A password cannot log it in.
    try (Pooler p = lookingUp().set("auth_dbname", "postgres").start()) {
      assertServerError(
          () -> login(p, Roles.DATABASE, NO_PASSWORD, "anything").close(),
          "28P01",
          "password authentication failed for user \"" + NO_PASSWORD + "\"");
    }
  }

  @Test
  void aReloadThatChangesTheQueryDoesNotUseTheOldAnswers() throws Exception {
    try (Pooler p = lookingUp().set("auth_dbname", "postgres").set("auth_cache_ttl", "3600").start()) {
      login(p, Roles.DATABASE, USER, PASSWORD).close();
      Path ini = p.configDir().resolve("pgbouncer.ini");
      Files.writeString(
          ini,
          Files.readString(ini)
              + "auth_query = SELECT usename, passwd FROM pg_shadow WHERE usename = $1 AND false\n");
      p.breakwater().reload();
      assertServerError(
          () -> login(p, Roles.DATABASE, USER, PASSWORD).close(),
          "28P01",
          "password authentication failed for user \"" + USER + "\"");
    }
  }
}
