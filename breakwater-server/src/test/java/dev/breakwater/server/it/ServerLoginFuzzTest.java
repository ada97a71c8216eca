package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.server.fuzz.Gen;
import dev.breakwater.testkit.LeakCheck;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a broken server says at login, through a running Breakwater: a scripted server's login
 * (AuthenticationOk, ParameterStatus messages, BackendKeyData, ReadyForQuery) with generated
 * messages put in at some point of it (authentication requests of every kind among them). Each try
 * logs in to a database of its own (from the {@code *} entry), so that its pool opens a server.
 * Whatever comes:
 *
 * <ul>
 *   <li>the client is logged in and its query answered, or gets an ErrorResponse and a close;
 *       it never waits;
 *   <li>no exception but an I/O one reaches an event loop;
 *   <li>the pooler goes on serving (a client of a database whose servers log in as usual);
 *   <li>no buffer leaks.
 * </ul>
 */
@ExtendWith(LeakCheck.class)
class ServerLoginFuzzTest {

  static ScriptedPostgres server;
  static Pooler pooler;
  /** What the next server login gets put into it, or null for the usual login. */
  static final AtomicReference<Insert> next = new AtomicReference<>();

  record Insert(int at, List<byte[]> messages) {}

  @BeforeAll
  static void start() throws Exception {
    server = new ScriptedPostgres((sql, usual, out) -> false, ServerLoginFuzzTest::login);
    pooler =
        Pooler.builder().set("auth_type", "trust").set("server_tls_sslmode", "disable").poolSize(1)
            .database("* = dbname=scripted port=" + server.port())
            .start();
  }

  @AfterAll
  static void stop() throws IOException {
    if (pooler != null) {
      pooler.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static byte[] login(List<byte[]> usual) {
    Insert insert = next.getAndSet(null);
    List<byte[]> reply = new ArrayList<>(usual);
    if (insert != null) {
      reply.addAll(Math.min(insert.at(), reply.size()), insert.messages());
    }
    return ScriptedPostgres.concat(reply);
  }

  @Test
  void generatedMessagesInALogin() {
    Gen<Insert> inserts = Gen.combine(Gen.ints(0, 12), ServerRepliesFuzzTest.messages(LOGIN_TEMPLATES).list(1, 3), Insert::new);
    Fuzz.check(150, inserts, ServerLoginFuzzTest::round);
  }

  /**
   * Regression (shrunk): a short BackendKeyData threw IndexOutOfBoundsException on the server's
   * loop (logged as an I/O error). It is a failed login now, and any message read past its end at
   * login is answered so.
   */
  @Test
  void aShortBackendKeyDataFailsTheLogin() throws Exception {
    try (LogCapture log = new LogCapture("dev.breakwater.server.backend.ServerLoginHandler")) {
      round(new Insert(0, List.of(PgWire.typed('K', new byte[0]))));
      assertThat(log.lines()).anyMatch(l -> l.contains("failed: BackendKeyData of 0 bytes, not 8"));
    }
  }

  /**
   * Regression (found by a long run; the class's leak check fails without the fix): a malformed
   * SCRAM server-first message leaked the buffer taken for the answer before it was computed.
   */
  @Test
  void aMalformedScramServerFirstLeaksNothing() throws Exception {
    byte[] sasl = PgWire.typed('R', Fuzz.concat(Fuzz.int32(10), ScriptedPostgres.cstrings("SCRAM-SHA-256", "")));
    byte[] serverFirst = PgWire.typed('R', Fuzz.concat(Fuzz.int32(11), "not a server-first message".getBytes(StandardCharsets.US_ASCII)));
    for (int i = 0; i < 20; i++) {
      round(new Insert(0, List.of(sasl, serverFirst)));
    }
  }

  private static int tries;

  static void round(Insert insert) throws Exception {
    String database = "login" + (++tries);
    try (LogCapture log = new LogCapture("dev.breakwater");
        LogCapture netty = new LogCapture("io.netty")) {
      next.set(insert);
      List<PgWire.Message> got = new ArrayList<>();
      try (PgWire w = new PgWire(pooler.port()).timeout(3_000)) {
        w.send(PgWire.startup("user", Roles.TRUST, "database", database));
        if (ServerRepliesFuzzTest.answered(w, got) != null) {
          String sql = "SELECT 'after a login " + tries + "'";
          w.send(PgWire.query(sql));
          if (ServerRepliesFuzzTest.answered(w, got) != null) {
            assertThat(got.stream().filter(m -> m.type() == 'D'))
                .as("the answer to " + sql).anyMatch(m -> new String(m.body(), StandardCharsets.UTF_8).contains(sql));
          }
        }
      }
      next.set(null);
      try (PgWire w = new PgWire(pooler.port()).timeout(3_000).login("usual", Roles.TRUST, "")) {
        w.send(PgWire.query("SELECT 'usual'"));
        assertThat(w.readUntil('Z')).as("the pooler still serves").extracting(PgWire.Message::type).isEqualTo('Z');
      }
      ServerRepliesFuzzTest.onlyIoErrors(log, netty);
    }
  }

  /** Authentication requests of every kind, and what else may come at login. */
  private static final Object[][] LOGIN_TEMPLATES = {
    {'R', Fuzz.int32(3)},
    {'R', Fuzz.concat(Fuzz.int32(5), new byte[] {1, 2, 3, 4})},
    {'R', Fuzz.concat(Fuzz.int32(10), ScriptedPostgres.cstrings("SCRAM-SHA-256", ""))},
    {'R', Fuzz.concat(Fuzz.int32(11), "r=abc,s=c2FsdA==,i=4096".getBytes(StandardCharsets.US_ASCII))},
    {'R', Fuzz.concat(Fuzz.int32(12), "v=AAAA".getBytes(StandardCharsets.US_ASCII))},
    {'R', Fuzz.int32(2)},
    {'R', Fuzz.int32(7)},
    {'R', Fuzz.int32(9)},
    {'v', Fuzz.concat(Fuzz.int32(0), Fuzz.int32(1), ScriptedPostgres.cstrings("_pq_.x"))},
    {'K', Fuzz.concat(Fuzz.int32(1), Fuzz.int32(2), Fuzz.int32(3))},
    {'S', ScriptedPostgres.cstrings("server_encoding", "SQL_ASCII")},
    {'S', ScriptedPostgres.cstrings("integer_datetimes", "off")},
    {'E', ScriptedPostgres.cstrings("SFATAL", "VFATAL", "C28P01", "Mpassword authentication failed", "")},
    {'E', ScriptedPostgres.cstrings("SFATAL", "VFATAL", "C53300", "Msorry, too many clients already", "")},
  };
}
