package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Client authentication against the auth file, for every auth_type: the right password logs in,
 * a wrong one and an unknown user get the same 28P01 answer, and each method asks the client for
 * what it should (cleartext, md5, SCRAM, nothing).
 */
class ClientAuthIT {

  private static final Map<String, Pooler> POOLERS = new HashMap<>();

  /** One Breakwater per auth_type, started on first use. */
  static synchronized Pooler pooler(String authType) throws Exception {
    Pooler p = POOLERS.get(authType);
    if (p == null) {
      p = Pooler.builder().set("auth_type", authType).start();
      POOLERS.put(authType, p);
    }
    return p;
  }

  @AfterAll
  static void stop() {
    POOLERS.values().forEach(Pooler::close);
  }

  private static void assertLogsIn(Pooler p, String user, String password) throws Exception {
    try (Connection c = p.connect(Roles.DATABASE, user, password, new Properties())) {
      assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(user);
    }
  }

  private static void assertWrongPassword(Pooler p, String user, String password) {
    assertServerError(
        () -> p.connect(Roles.DATABASE, user, password, new Properties()).close(),
        "28P01",
        "password authentication failed for user \"" + user + "\"");
  }

  // ---- The right password logs in, whatever form the auth file holds it in ----

  @ParameterizedTest(name = "auth_type={0}, user {1}")
  @CsvSource({
    // trust: the auth file only says who exists
    "trust, bw_trust",
    "trust, bw_plain",
    "trust, bw_md5",
    // plain: checked against plain text, an md5 hash or a SCRAM verifier
    "plain, bw_plain",
    "plain, bw_md5",
    "plain, bw_scram",
    // md5: plain text or md5 hash; a SCRAM verifier is asked for SCRAM (see below)
    "md5, bw_plain",
    "md5, bw_md5",
    "md5, bw_scram",
    // scram-sha-256: plain text or a SCRAM verifier
    "scram-sha-256, bw_plain",
    "scram-sha-256, bw_scram",
  })
  void rightPasswordLogsIn(String authType, String user) throws Exception {
    assertLogsIn(pooler(authType), user, Roles.password(user));
  }

  @ParameterizedTest(name = "auth_type={0}, user {1}")
  @CsvSource({
    "plain, bw_plain",
    "plain, bw_md5",
    "plain, bw_scram",
    "md5, bw_plain",
    "md5, bw_md5",
    "md5, bw_scram",
    "scram-sha-256, bw_plain",
    "scram-sha-256, bw_scram",
  })
  void wrongPasswordIs28P01(String authType, String user) throws Exception {
    Pooler p = pooler(authType);
    assertWrongPassword(p, user, "not-" + Roles.password(user));
    // The failure leaves nothing behind: the right password still works.
    assertLogsIn(p, user, Roles.password(user));
  }

  @ParameterizedTest(name = "auth_type={0}")
  @CsvSource({"plain", "md5", "scram-sha-256"})
  void unknownUserLooksLikeAWrongPassword(String authType) throws Exception {
    Pooler p = pooler(authType);
    assertWrongPassword(p, "bw_nobody", "whatever");
    // Even with a password that would be right for an existing role.
    assertWrongPassword(p, "bw_nobody", Roles.password(Roles.PLAIN));
  }

  @Test
  void trustIgnoresThePasswordButNotTheUser() throws Exception {
    Pooler p = pooler("trust");
    assertLogsIn(p, Roles.PLAIN, "not-the-password");
    assertServerError(
        () -> p.connect(Roles.DATABASE, "bw_nobody", "x", new Properties()).close(),
        "28000",
        "no such user: bw_nobody");
  }

  @Test
  void scramUserWithAnMd5SecretCannotLogIn() throws Exception {
    // An md5 hash cannot check a SCRAM proof: even the right password fails, cleanly.
    assertWrongPassword(pooler("scram-sha-256"), Roles.MD5, Roles.password(Roles.MD5));
  }

  // ---- What each method asks the client for (raw protocol) ----

  @ParameterizedTest(name = "auth_type={0}, user {1} -> request {2}")
  @CsvSource({
    "trust, bw_plain, 0",
    "plain, bw_plain, 3",
    "plain, bw_scram, 3",
    "md5, bw_plain, 5",
    "md5, bw_md5, 5",
    // PgBouncer's rule: with md5, a user whose secret is a SCRAM verifier is asked for SCRAM.
    "md5, bw_scram, 10",
    "scram-sha-256, bw_plain, 10",
    "scram-sha-256, bw_scram, 10",
    // An unknown user is asked the same as a known one.
    "md5, bw_nobody, 5",
    "scram-sha-256, bw_nobody, 10",
    "plain, bw_nobody, 3",
  })
  void asksForTheRightMethod(String authType, String user, int expectedCode) throws Exception {
    Pooler p = pooler(authType);
    try (PgWire w = new PgWire(p.port())) {
      w.send(PgWire.startup("user", user, "database", Roles.DATABASE));
      PgWire.Message m = w.read();
      assertThat(m).isNotNull();
      assertThat(m.type()).as("first answer %s", m).isEqualTo('R');
      assertThat(m.int32(0)).as("authentication request code").isEqualTo(expectedCode);
      if (expectedCode == 10) {
        String mechanisms = new String(m.body(), 4, m.body().length - 4, StandardCharsets.UTF_8);
        assertThat(mechanisms).isEqualTo("SCRAM-SHA-256\0\0");
      }
    }
  }
}
