package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.Breakwater;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code auth_type = any} asks no password and ignores the client's user name: only a database
 * with {@code user=} says who its clients are. A database without one (the {@code *} fallback
 * too) refuses its clients, as PgBouncer does ("auth_type=any requires forced user"); before,
 * a client naming any user of the auth file, a superuser included, got a session as that user.
 */
class AuthTypeAnyIT {

  private static Pooler pooler;
  private static LogCapture startupLog;

  @BeforeAll
  static void start() throws Exception {
    startupLog = new LogCapture(Breakwater.class);
    pooler =
        Pooler.builder()
            .set("auth_type", "any")
            .database("forced = dbname=" + Roles.DATABASE + " user=" + Roles.TRUST)
            .database("* = dbname=" + Roles.DATABASE)
            .start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
    startupLog.close();
  }

  @Test
  void aDatabaseWithoutAForcedUserRefusesItsClients() throws Exception {
    try (LogCapture log = new LogCapture("dev.breakwater.server.frontend.Admission")) {
      for (String user : new String[] {Roles.ADMIN, Roles.PLAIN, "bw_nobody"}) {
        assertServerError(
            () -> pooler.connect(Roles.DATABASE, user, null, new Properties()).close(),
            "28000",
            "auth_type=any requires forced user");
      }
      assertThat(log.lines())
          .anyMatch(l -> l.startsWith("ERROR ") && l.contains("auth_type=any requires forced user")
              && l.contains("database \"" + Roles.DATABASE + "\" has no user="));
    }
    // Nor does the superuser get in with a password: the client's user name means nothing here.
    assertServerError(
        () -> pooler.connect(Roles.DATABASE, Roles.ADMIN, Roles.password(Roles.ADMIN), new Properties()).close(),
        "28000",
        "auth_type=any requires forced user");
    assertThat(pooler.backendsOf(Roles.ADMIN)).isZero();
  }

  @Test
  void theFallbackDatabaseWithoutAForcedUserRefusesItsClients() {
    assertServerError(
        () -> pooler.connect("postgres_or_anything", Roles.ADMIN, null, new Properties()).close(),
        "28000",
        "auth_type=any requires forced user");
  }

  @Test
  void aForcedUserDatabaseLetsAnyoneInAsItsUser() throws Exception {
    for (String user : new String[] {Roles.ADMIN, "bw_nobody"}) {
      try (Connection c = pooler.connect("forced", user, null, new Properties())) {
        assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(Roles.TRUST);
        assertThat(Sql.one(c, "SELECT rolsuper::text FROM pg_roles WHERE rolname = current_user"))
            .isEqualTo("false");
      }
    }
  }

  @Test
  void startupWarnsOncePerDatabaseWithoutAForcedUser() {
    assertThat(startupLog.lines())
        .filteredOn(l -> l.startsWith("WARN ") && l.contains("auth_type any ignores the client's user name"))
        .hasSize(3)
        .anyMatch(l -> l.contains("database \"" + Roles.DATABASE + "\""))
        .anyMatch(l -> l.contains("database \"postgres\""))
        .anyMatch(l -> l.contains("database \"*\""));
  }
}
