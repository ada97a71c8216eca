package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.server.fuzz.Gen;
import dev.breakwater.testkit.LeakCheck;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a broken server says after login, through a running Breakwater: a scripted server answers
 * one request (a simple query, or an extended-protocol batch) with its usual reply and generated
 * messages put in at some point of it, before its ReadyForQuery or after it, each of any type, with a body well formed for its
 * type, mutated, or random, and a right length (or one below 4). Whatever comes:
 *
 * <ul>
 *   <li>the client gets its ReadyForQuery, or an ErrorResponse and a close; it never waits;
 *   <li>the answer to the same client's next query is its own (with only what PostgreSQL may send
 *       unasked besides), or an ErrorResponse and a close: what the server said out of turn is
 *       never taken for it;
 *   <li>no exception but an I/O one reaches an event loop: each message is relayed, dropped, or
 *       called a protocol violation, which closes that server;
 *   <li>the next client (on the pool's one server, or a new one) gets its own answer and nothing
 *       else;
 *   <li>no buffer leaks.
 * </ul>
 *
 * In transaction pooling, session pooling, and transaction pooling with prepared statements
 * mapped (max_prepared_statements).
 */
@ExtendWith(LeakCheck.class)
class ServerRepliesFuzzTest {

  private static final String MARK = "/*fuzz*/";
  private static final Pattern NOT_IO = Pattern.compile("(?i)I/O error(?!.*ioexception)|internal error|raised an exception");

  static ScriptedPostgres server;
  static Pooler plain;
  static Pooler mapping;
  /** What goes into the answer to the next marked query: at which message of it, and what. */
  static final AtomicReference<Insert> next = new AtomicReference<>();

  record Insert(int at, List<byte[]> messages) {}

  @BeforeAll
  static void start() throws Exception {
    server = new ScriptedPostgres(ServerRepliesFuzzTest::answer);
    String db = "dbname=scripted port=" + server.port();
    plain =
        Pooler.builder().set("auth_type", "trust").set("server_tls_sslmode", "disable").poolSize(1)
            .database("tx = " + db + " pool_mode=transaction")
            .database("session = " + db + " pool_mode=session")
            .start();
    mapping =
        Pooler.builder().set("auth_type", "trust").set("server_tls_sslmode", "disable").poolSize(1)
            .set("max_prepared_statements", "10")
            .database("tx = " + db + " pool_mode=transaction")
            .start();
  }

  @AfterAll
  static void stop() throws IOException {
    if (plain != null) {
      plain.close();
    }
    if (mapping != null) {
      mapping.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static boolean answer(String sql, List<byte[]> usual, OutputStream out) throws IOException {
    if (!sql.contains(MARK)) {
      return false;
    }
    Insert insert = next.get();
    List<byte[]> reply = new ArrayList<>(usual);
    reply.addAll(Math.min(insert.at(), reply.size()), insert.messages());
    out.write(ScriptedPostgres.concat(reply));
    out.flush();
    return true;
  }

  /** Where the generated messages go: a pool and database, and a request. */
  record Target(String pooler, String database) {}

  /** A simple query, or Parse (of an unnamed or a named statement), Bind, Describe, Execute, Sync. */
  enum Request { QUERY, UNNAMED, NAMED }

  @Test
  void generatedMessagesInAReply() {
    Gen<Target> targets = Gen.of(new Target("plain", "tx"), new Target("plain", "session"), new Target("mapping", "tx"));
    Gen<Insert> inserts = Gen.combine(Gen.ints(0, 7), messages().list(1, 4), Insert::new);
    Fuzz.check(300, targets, Gen.of(Request.values()), inserts, ServerRepliesFuzzTest::round);
  }

  /**
   * Regression (shrunk): a ReadyForQuery with no status byte (length 4) threw
   * IndexOutOfBoundsException on the server's loop, logged as an I/O error. It is a protocol
   * violation now: the server is closed, its client told so.
   */
  @Test
  void aReadyForQueryWithoutItsStatusIsAProtocolViolation() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      round(new Target("plain", "tx"), Request.QUERY, new Insert(0, List.of(Fuzz.concat(new byte[] {'Z'}, Fuzz.int32(4)))));
      assertThat(log.lines()).anyMatch(l -> l.contains("broke the protocol: ReadyForQuery of 5 bytes, not 6"));
    }
  }

  /**
   * Regression (shrunk): a FATAL error after the ReadyForQuery that released the server, from a
   * server that then stayed open, left it in the pool marked closing and never closed: the next
   * client waited for a server until query_wait_timeout. It is closed at once now.
   */
  @Test
  void aServerThatSentFatalIsClosedWithoutWaitingForItToClose() throws Exception {
    byte[] fatal = PgWire.typed('E', ScriptedPostgres.cstrings("SFATAL", "VFATAL", "C57P01", "Mterminating connection", ""));
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      round(new Target("plain", "tx"), Request.QUERY, new Insert(4, List.of(fatal)));
      assertThat(log.lines()).anyMatch(l -> l.contains("sent FATAL 57P01 terminating connection with no client linked"));
    }
  }

  /**
   * Regression (shrunk): a ReadyForQuery in transaction ('T') before the real reply, in one read:
   * the client took it for its answer, and the rest (ParseComplete, BindComplete, the row, the
   * real ReadyForQuery) was then read as the answer to its next query. A message the server owes
   * no one while its client is linked now ends the server.
   */
  @Test
  void repliesOwedToNoRequestAreAProtocolViolation() throws Exception {
    byte[] inTransaction = PgWire.typed('Z', new byte[] {'T'});
    for (Target target : List.of(new Target("plain", "tx"), new Target("plain", "session"), new Target("mapping", "tx"))) {
      try (LogCapture log = new LogCapture(ServerConnection.class)) {
        round(target, Request.UNNAMED, new Insert(0, List.of(inTransaction)));
        assertThat(log.lines()).as(target.toString()).anyMatch(l -> l.contains("with no request outstanding"));
      }
    }
  }

  private static int rounds;

  static void round(Target target, Request request, Insert insert) throws Exception {
    Pooler pooler = target.pooler().equals("plain") ? plain : mapping;
    String sql = "SELECT " + (++rounds) + " " + MARK;
    next.set(insert);
    try (LogCapture log = new LogCapture("dev.breakwater");
        LogCapture netty = new LogCapture("io.netty")) {
      try (PgWire w = new PgWire(pooler.port()).timeout(2_000).login(target.database(), Roles.TRUST, "")) {
        if (request == Request.QUERY) {
          w.send(PgWire.query(sql));
        } else {
          String name = request == Request.NAMED ? "s1" : "";
          w.send(
              PgWire.typed('P', Fuzz.concat(PgWire.cstrings(name, sql), new byte[] {0, 0})),
              PgWire.typed('B', Fuzz.concat(PgWire.cstrings("", name), new byte[] {0, 0, 0, 0, 0, 0})),
              PgWire.typed('D', Fuzz.concat(new byte[] {'P'}, PgWire.cstrings(""))),
              PgWire.execute(),
              PgWire.sync());
        }
        List<PgWire.Message> all = new ArrayList<>();
        if (answered(w, all) != null) {
          // The same client again: its answer is its own, not what the server said out of turn.
          String again = "SELECT 'again " + rounds + "'";
          w.send(PgWire.query(again));
          List<PgWire.Message> got = answered(w, all);
          if (got != null) {
            got.removeIf(m -> "NSA".indexOf(m.type()) >= 0); // what PostgreSQL may send unasked
            assertThat(got).as("the answer to the client's next query").extracting(PgWire.Message::type)
                .containsExactly('T', 'D', 'C', 'Z');
            assertThat(new String(got.get(1).body(), StandardCharsets.UTF_8)).contains(again);
          }
        }
      }
      String probe = "SELECT 'the next client " + rounds + "'";
      try (PgWire w = new PgWire(pooler.port()).timeout(2_000).login(target.database(), Roles.TRUST, "")) {
        w.send(PgWire.query(probe));
        List<PgWire.Message> got = new ArrayList<>();
        for (PgWire.Message m = w.read(); m != null; m = m.type() == 'Z' ? null : w.read()) {
          got.add(m);
        }
        assertThat(got).as("the next client's answer").extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
        assertThat(new String(got.get(1).body(), StandardCharsets.UTF_8)).contains(probe);
      }
      onlyIoErrors(log, netty);
    }
  }

  /** No line of the pooler's says an exception other than an I/O one was thrown; none of Netty's warns. */
  static void onlyIoErrors(LogCapture pooler, LogCapture netty) {
    List<String> bad = new ArrayList<>();
    pooler.lines().stream().filter(l -> NOT_IO.matcher(l).find()).forEach(bad::add);
    netty.lines().stream().filter(l -> l.startsWith("WARN") || l.startsWith("ERROR")).forEach(bad::add);
    assertThat(bad).as("lines of exceptions that are not I/O errors").isEmpty();
  }

  /**
   * The messages up to and including a ReadyForQuery, or null when the pooler closed the
   * connection (after an ErrorResponse, this answer's or an earlier one in {@code all}: checked).
   */
  static List<PgWire.Message> answered(PgWire w, List<PgWire.Message> all) throws IOException {
    List<PgWire.Message> got = new ArrayList<>();
    for (; ; ) {
      PgWire.Message m;
      try {
        m = w.read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the client waited for an answer, after " + got, e);
      }
      if (m == null) {
        assertThat(all).as("closed, after an ErrorResponse").extracting(PgWire.Message::type).contains('E');
        return null;
      }
      got.add(m);
      all.add(m);
      if (m.type() == 'Z') {
        return got;
      }
    }
  }

  /**
   * One backend message: a type, and a body valid for it (one of {@link #TEMPLATES} or {@code
   * more}, mutated now and then) or random.
   */
  static Gen<byte[]> messages(Object[]... more) {
    List<Object[]> templates = new ArrayList<>(List.of(TEMPLATES));
    templates.addAll(List.of(more));
    List<Gen<byte[]>> kinds = new ArrayList<>();
    for (Object[] t : templates) {
      char type = (char) t[0];
      byte[] body = (byte[]) t[1];
      kinds.add(Gen.oneOf(Gen.just(body), Fuzz.mutated(Gen.just(body))).map(b -> PgWire.typed(type, b)));
    }
    kinds.add(Gen.combine(Gen.ints(0, 255), Gen.bytes(24), (type, b) -> PgWire.typed((char) type.intValue(), b)));
    kinds.add(Gen.combine(Gen.of('Z', 'S', 'E', 'A', 'D', 'C'), Gen.ints(0, 3),
        (type, length) -> Fuzz.concat(new byte[] {(byte) type.charValue()}, Fuzz.int32(length))));
    @SuppressWarnings("unchecked")
    Gen<byte[]>[] array = kinds.toArray(new Gen[0]);
    return Gen.oneOf(array);
  }

  /** Message types, each with a body valid for it. */
  static final Object[][] TEMPLATES = {
    {'Z', new byte[] {'I'}},
    {'Z', new byte[] {'T'}},
    {'Z', new byte[] {'E'}},
    {'S', ScriptedPostgres.cstrings("application_name", "other")},
    {'S', ScriptedPostgres.cstrings("client_encoding", "LATIN1")},
    {'S', ScriptedPostgres.cstrings("TimeZone", "Europe/Paris")},
    {'S', ScriptedPostgres.cstrings("standard_conforming_strings", "off")},
    {'S', ScriptedPostgres.cstrings("server_version", "18.0")},
    {'E', ScriptedPostgres.cstrings("SERROR", "VERROR", "C42601", "Msyntax error", "")},
    {'E', ScriptedPostgres.cstrings("SFATAL", "VFATAL", "C57P01", "Mterminating connection due to administrator command", "")},
    {'E', ScriptedPostgres.cstrings("SERROR", "VERROR", "C26000", "Mprepared statement \"S_1\" does not exist", "")},
    {'N', ScriptedPostgres.notice("a notice")},
    {'A', Fuzz.concat(Fuzz.int32(4242), ScriptedPostgres.cstrings("channel", "payload"))},
    {'C', ScriptedPostgres.cstrings("SELECT 1")},
    {'C', ScriptedPostgres.cstrings("DISCARD ALL")},
    {'C', ScriptedPostgres.cstrings("BEGIN")},
    {'D', Fuzz.concat(new byte[] {0, 1}, Fuzz.int32(1), new byte[] {'x'})},
    {'T', Fuzz.concat(new byte[] {0, 1}, ScriptedPostgres.cstrings("c"), new byte[18])},
    {'I', new byte[0]},
    {'1', new byte[0]},
    {'2', new byte[0]},
    {'3', new byte[0]},
    {'n', new byte[0]},
    {'s', new byte[0]},
    {'t', Fuzz.concat(new byte[] {0, 1}, Fuzz.int32(23))},
    {'K', Fuzz.concat(Fuzz.int32(4242), Fuzz.int32(78))},
    {'R', Fuzz.int32(0)},
    {'G', new byte[] {0, 0, 0}},
    {'H', new byte[] {0, 0, 0}},
    {'W', new byte[] {0, 0, 0}},
    {'d', new byte[] {'x'}},
    {'c', new byte[0]},
    {'V', Fuzz.int32(-1)},
    {'v', Fuzz.concat(Fuzz.int32(0), Fuzz.int32(0))},
  };
}
