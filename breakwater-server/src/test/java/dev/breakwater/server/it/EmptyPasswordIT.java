package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.auth.Md5Password;
import dev.breakwater.protocol.auth.ScramClient;
import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.protocol.auth.ScramSecret;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An empty password logs no one in, as in PostgreSQL (which will not store one) and PgBouncer:
 * whether the auth file holds it as plain text, as the md5 hash of "" or as a SCRAM verifier made
 * from "", and whatever the client is asked for (cleartext, md5, SCRAM). The database forces a
 * trusted server user, so that a client let in would get a working session: the only thing that
 * refuses these clients is the pooler's own check.
 */
class EmptyPasswordIT {

  private static final String EMPTY_PLAIN = "bw_empty_plain";
  private static final String EMPTY_MD5 = "bw_empty_md5";
  private static final String EMPTY_SCRAM = "bw_empty_scram";
  private static final String DATABASE = "forced";

  private static final Map<String, Pooler> POOLERS = new HashMap<>();

  static synchronized Pooler pooler(String authType) throws Exception {
    Pooler p = POOLERS.get(authType);
    if (p == null) {
      byte[] salt = new byte[16];
      Arrays.fill(salt, (byte) 7);
      p =
          Pooler.builder()
              .set("auth_type", authType)
              .database(DATABASE + " = dbname=" + Roles.DATABASE + " user=" + Roles.TRUST)
              .secret(EMPTY_PLAIN, "")
              .secret(EMPTY_MD5, Md5Password.encrypt("", EMPTY_MD5))
              .secret(EMPTY_SCRAM, ScramSecret.fromPassword("", salt, ScramSecret.DEFAULT_ITERATIONS).format())
              .start();
      POOLERS.put(authType, p);
    }
    return p;
  }

  @AfterAll
  static void stop() {
    POOLERS.values().forEach(Pooler::close);
  }

  @ParameterizedTest(name = "auth_type={0}, user {1}")
  @CsvSource({
    "plain, bw_empty_plain",
    "plain, bw_empty_md5",
    "plain, bw_empty_scram",
    "md5, bw_empty_plain",
    "md5, bw_empty_md5",
    // md5 with a SCRAM verifier asks for SCRAM
    "md5, bw_empty_scram",
    "scram-sha-256, bw_empty_plain",
    "scram-sha-256, bw_empty_scram",
  })
  void emptyPasswordIs28P01(String authType, String user) throws Exception {
    Pooler p = pooler(authType);
    try (LogCapture log = new LogCapture("dev.breakwater.server.frontend.ClientLogin")) {
      PgWire.Message answer = logIn(p, user, "");
      assertThat(answer.type()).as("answer to %s with an empty password: %s", user, answer).isEqualTo('E');
      assertThat(answer.sqlState()).isEqualTo("28P01");
      assertThat(answer.text()).isEqualTo("password authentication failed for user \"" + user + "\"");
      assertThat(log.lines()).anyMatch(l -> l.contains("password authentication failed: ")
          && l.contains("empty"));
    }
    // The pooler itself still lets a real password in.
    assertThat(logIn(p, Roles.PLAIN, Roles.password(Roles.PLAIN)).type()).isEqualTo('R');
  }

  @org.junit.jupiter.api.Test
  void theAuthFilesEmptyPasswordsAreWarnedAboutAtStart() throws Exception {
    try (LogCapture log = new LogCapture(dev.breakwater.server.Breakwater.class)) {
      Pooler p = POOLERS.remove("md5");
      if (p != null) {
        p.close();
      }
      pooler("md5");
      assertThat(log.lines())
          .filteredOn(l -> l.startsWith("WARN ") && l.contains("has an empty password"))
          .hasSize(2)
          .anyMatch(l -> l.contains("\"" + EMPTY_PLAIN + "\""))
          .anyMatch(l -> l.contains("\"" + EMPTY_MD5 + "\""));
    }
  }

  @ParameterizedTest(name = "auth_type={0}, user {1}")
  @CsvSource({
    "plain, bw_empty_plain",
    "md5, bw_empty_md5",
    "scram-sha-256, bw_empty_scram",
  })
  void aNonEmptyPasswordDoesNotMatchAnEmptySecretEither(String authType, String user) throws Exception {
    PgWire.Message answer = logIn(pooler(authType), user, "x");
    assertThat(answer.type()).as("%s", answer).isEqualTo('E');
    assertThat(answer.sqlState()).isEqualTo("28P01");
  }

  /**
   * Logs in on the raw protocol, answering whichever method the pooler asks for: the
   * AuthenticationOk (an 'R' with code 0) when let in, else the ErrorResponse.
   */
  private static PgWire.Message logIn(Pooler p, String user, String password) throws IOException {
    try (PgWire w = new PgWire(p.port())) {
      w.send(PgWire.startup("user", user, "database", DATABASE));
      ScramClient scram = null;
      for (; ; ) {
        PgWire.Message m = w.read();
        if (m == null) {
          throw new IOException("closed during login");
        }
        if (m.type() == 'E') {
          return m;
        }
        assertThat(m.type()).as("%s", m).isEqualTo('R');
        byte[] data = Arrays.copyOfRange(m.body(), 4, m.body().length);
        switch (m.int32(0)) {
          case 0 -> {
            return m;
          }
          case 3 -> w.send(PgWire.password(password));
          case 5 -> w.send(PgWire.password(Md5Password.saltedResponse(Md5Password.encrypt(password, user), data)));
          case 10 -> {
            scram = ScramClient.withPassword(s -> ScramKeys.derive(password, s.salt(), s.iterations()));
            byte[] first = scram.clientFirst();
            w.send(PgWire.typed('p', PgWire.concat(PgWire.cstrings(ScramClient.MECHANISM), PgWire.int32(first.length), first)));
          }
          case 11 -> w.send(PgWire.typed('p', scram.onServerFirst(data)));
          case 12 -> scram.onServerFinal(data);
          default -> throw new IOException("unexpected authentication request " + m.int32(0));
        }
      }
    }
  }
}
