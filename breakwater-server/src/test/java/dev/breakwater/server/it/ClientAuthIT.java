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
    org.postgresql.util.ServerErrorMessage m =
        assertServerError(
            () -> p.connect(Roles.DATABASE, "bw_nobody", "x", new Properties()).close(),
            "28000",
            "no such user: bw_nobody");
    // PgBouncer's text, which scripts match on, as the detail.
    assertThat(m.getDetail()).isEqualTo("\"trust\" authentication failed");
  }

  @Test
  void aFailedScramExchangeSaysSoInItsDetail() throws Exception {
    org.postgresql.util.ServerErrorMessage m =
        assertServerError(
            () -> pooler("scram-sha-256").connect(Roles.DATABASE, Roles.SCRAM, "wrong", new Properties()).close(),
            "28P01",
            "password authentication failed for user \"" + Roles.SCRAM + "\"");
    assertThat(m.getDetail()).isEqualTo("SASL authentication failed");
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

  // ---- SCRAM exchange, byte by byte (auth_type scram-sha-256) ----

  private static byte[] saslInitial(String mechanism, String data) {
    byte[] d = data.getBytes(StandardCharsets.UTF_8);
    return PgWire.typed('p', PgWire.concat(PgWire.cstrings(mechanism), PgWire.int32(d.length), d));
  }

  private static byte[] saslResponse(String data) {
    return PgWire.typed('p', data.getBytes(StandardCharsets.UTF_8));
  }

  /** Starts a SCRAM login as {@code user}: returns the wire after the SASL request. */
  private static PgWire scramStart(String user) throws Exception {
    PgWire w = new PgWire(pooler("scram-sha-256").port());
    w.send(PgWire.startup("user", user, "database", Roles.DATABASE));
    PgWire.Message r = w.read();
    assertThat(r.type()).isEqualTo('R');
    assertThat(r.int32(0)).isEqualTo(10);
    return w;
  }

  /** The server-first-message for a client-first with this nonce. */
  private static String serverFirst(PgWire w, String clientNonce) throws Exception {
    w.send(saslInitial("SCRAM-SHA-256", "n,,n=,r=" + clientNonce));
    PgWire.Message m = w.read();
    assertThat(m.type()).as("%s", m).isEqualTo('R');
    assertThat(m.int32(0)).as("SASLContinue").isEqualTo(11);
    return new String(m.body(), 4, m.body().length - 4, StandardCharsets.UTF_8);
  }

  private static String attribute(String scramMessage, String name) {
    for (String a : scramMessage.split(",")) {
      if (a.startsWith(name + "=")) {
        return a.substring(name.length() + 1);
      }
    }
    throw new AssertionError("no " + name + " in " + scramMessage);
  }

  @Test
  void saltAndIterationsDoNotRevealWhetherAUserExists() throws Exception {
    for (String user : new String[] {"bw_nobody", Roles.PLAIN, Roles.SCRAM}) {
      String first;
      String second;
      try (PgWire w = scramStart(user)) {
        first = serverFirst(w, "nonceA");
      }
      try (PgWire w = scramStart(user)) {
        second = serverFirst(w, "nonceB");
      }
      assertThat(attribute(second, "s")).as("salt for %s, twice", user).isEqualTo(attribute(first, "s"));
      assertThat(attribute(first, "i")).as("iterations for %s", user).isEqualTo("4096");
      assertThat(attribute(first, "r")).startsWith("nonceA");
    }
  }

  @Test
  void wrongScramProofIs28P01ForKnownAndUnknownUsers() throws Exception {
    for (String user : new String[] {Roles.PLAIN, Roles.SCRAM, "bw_nobody"}) {
      try (PgWire w = scramStart(user)) {
        String nonce = attribute(serverFirst(w, "abc"), "r");
        String zeros = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        w.send(saslResponse("c=biws,r=" + nonce + ",p=" + zeros));
        PgWire.Message e = w.errorThenClose();
        assertThat(e).isNotNull();
        assertThat(e.sqlState()).isEqualTo("28P01");
        assertThat(e.text()).isEqualTo("password authentication failed for user \"" + user + "\"");
      }
    }
    assertLogsIn(pooler("scram-sha-256"), Roles.SCRAM, Roles.password(Roles.SCRAM));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown mechanism | SCRAM-SHA-1 | n,,n=,r=abc | ",
        "channel binding demanded | SCRAM-SHA-256 | p=tls-server-end-point,,n=,r=abc | ",
        "garbage client-first | SCRAM-SHA-256 | hello | 08P01",
        "empty client-first | SCRAM-SHA-256 | '' | 08P01",
        "no nonce | SCRAM-SHA-256 | n,,n= | 08P01",
        "mandatory extension | SCRAM-SHA-256 | n,,m=ext,n=,r=abc | ",
      })
  void badClientFirstIsRefused(String what, String mechanism, String data, String sqlState) throws Exception {
    try (PgWire w = scramStart(Roles.PLAIN)) {
      w.send(saslInitial(mechanism, data));
      PgWire.Message e = w.errorThenClose();
      assertThat(e).as("an error for %s", what).isNotNull();
      if (sqlState != null) {
        assertThat(e.sqlState()).isEqualTo(sqlState);
      }
    }
    assertLogsIn(pooler("scram-sha-256"), Roles.PLAIN, Roles.password(Roles.PLAIN));
  }

  @Test
  void saslInitialResponseWithAWrongLengthIsRefused() throws Exception {
    try (PgWire w = scramStart(Roles.PLAIN)) {
      byte[] d = "n,,n=,r=abc".getBytes(StandardCharsets.UTF_8);
      w.send(PgWire.typed('p', PgWire.concat(PgWire.cstrings("SCRAM-SHA-256"), PgWire.int32(d.length + 100), d)));
      PgWire.Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("08P01");
    }
    try (PgWire w = scramStart(Roles.PLAIN)) {
      // Length -1 means "no data" in the protocol, which SCRAM cannot use.
      w.send(PgWire.typed('p', PgWire.concat(PgWire.cstrings("SCRAM-SHA-256"), PgWire.int32(-1))));
      PgWire.Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("08P01");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "no proof | c=biws,r=NONCE",
        "wrong nonce | c=biws,r=someoneelse,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "wrong channel binding | c=eSws,r=NONCE,p=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "proof not base64 | c=biws,r=NONCE,p=!!!",
        "short proof | c=biws,r=NONCE,p=AAAA",
        "garbage | xyz",
      })
  void badClientFinalIsRefused(String what, String template) throws Exception {
    try (PgWire w = scramStart(Roles.PLAIN)) {
      String nonce = attribute(serverFirst(w, "abc"), "r");
      w.send(saslResponse(template.replace("NONCE", nonce)));
      PgWire.Message e = w.errorThenClose();
      assertThat(e).as("an error for %s", what).isNotNull();
      assertThat(e.sqlState()).as("%s: %s", what, e).isIn("08P01", "28P01");
    }
    assertLogsIn(pooler("scram-sha-256"), Roles.PLAIN, Roles.password(Roles.PLAIN));
  }

  // ---- md5 and cleartext answers, byte by byte ----

  @ParameterizedTest(name = "auth_type={0}")
  @CsvSource({"md5", "plain"})
  void emptyPasswordIs28P01(String authType) throws Exception {
    Pooler p = pooler(authType);
    try (PgWire w = new PgWire(p.port())) {
      w.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE));
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.password(""));
      PgWire.Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("28P01");
      assertThat(e.text()).isEqualTo("password authentication failed for user \"bw_plain\"");
    }
  }

  @ParameterizedTest(name = "auth_type={0}")
  @CsvSource({"md5", "plain"})
  void unterminatedPasswordIs08P01(String authType) throws Exception {
    Pooler p = pooler(authType);
    try (PgWire w = new PgWire(p.port())) {
      w.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE));
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.typed('p', "bw_plain_pw".getBytes(StandardCharsets.UTF_8)));
      PgWire.Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("08P01");
    }
    assertLogsIn(p, Roles.PLAIN, Roles.password(Roles.PLAIN));
  }
}
