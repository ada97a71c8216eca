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
import java.util.Arrays;
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
 * mapped (max_prepared_statements). (Session pooling reads no session state back: there a DO
 * block's try gets nothing put in.) Each answer is one write, as PostgreSQL sends a reply; the
 * pooler's reads still split it now and then, when its read buffer has shrunk.
 */
@ExtendWith(LeakCheck.class)
class ServerRepliesFuzzTest {

  private static final String MARK = "/*fuzz*/";
  private static final Pattern NOT_IO = Pattern.compile("(?i)I/O error(?!.*(ioexception|socketexception))|internal error|raised an exception");

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

  /** The start of the query that reads a session's state back (SessionTracker.CHECK_QUERY). */
  private static final String STATE_CHECK = "SELECT 's', name, setting FROM pg_catalog.pg_settings";
  /** The reset query of session pooling (server_reset_query's default). */
  private static final String RESET_QUERY = "DISCARD ALL";
  /** The query whose answer gets the messages: one holding MARK, the state check, or the reset. */
  static volatile String insertInto = MARK;

  /** A query answered with the first bytes of its RowDescription, then a close. */
  private static final String CUT = "SELECT 'cut short'";

  /**
   * A query answered in two writes, the CommandComplete split between them, and a ParseComplete
   * owed to no one after the ReadyForQuery.
   */
  private static final String SPLIT = "SELECT 'split, then out of turn'";

  /** A query answered whole, then a NoticeResponse split across two writes. */
  private static final String NOTICE_SPLIT = "SELECT 'then a notice, split'";

  private static boolean answer(String sql, List<byte[]> usual, OutputStream out) throws IOException {
    if (sql.equals(NOTICE_SPLIT)) {
      byte[] notice = PgWire.typed('N', ScriptedPostgres.notice("after the ReadyForQuery"));
      out.write(Fuzz.concat(ScriptedPostgres.concat(usual), Arrays.copyOf(notice, 12)));
      out.flush();
      pause();
      out.write(Arrays.copyOfRange(notice, 12, notice.length));
      out.flush();
      return true;
    }
    if (sql.equals(CUT)) {
      out.write(usual.get(0), 0, 16);
      out.flush();
      pause(); // read by the pooler, and relayed, before the close
      out.close();
      return true;
    }
    if (sql.equals(SPLIT)) {
      byte[] reply = ScriptedPostgres.concat(usual);
      int cut = usual.get(0).length + usual.get(1).length + 6;
      out.write(reply, 0, cut);
      out.flush();
      pause();
      out.write(Fuzz.concat(Arrays.copyOfRange(reply, cut, reply.length), PgWire.typed('1', new byte[0])));
      out.flush();
      return true;
    }
    boolean check = sql.startsWith(STATE_CHECK);
    if (!sql.contains(insertInto)) {
      if (check) {
        out.write(ScriptedPostgres.concat(stateCheckReply()));
        out.flush();
      }
      return check;
    }
    Insert insert = next.get();
    List<byte[]> reply = new ArrayList<>(check ? stateCheckReply() : usual);
    List<byte[]> messages = insert.messages();
    if (check) {
      // After the read-back's ReadyForQuery the client's next query is on its way already (its
      // bytes follow the read-back): a message there, or after a ReadyForQuery that ends the
      // read-back early, looks like the start of that query's answer, which no count of requests
      // can tell apart. The read-back gets its messages before its end, and no ReadyForQuery.
      messages = messages.stream().filter(m -> m[0] != 'Z').toList();
    }
    reply.addAll(Math.min(insert.at(), reply.size() - (check ? 1 : 0)), messages);
    if (tail.length > 0) {
      pause(); // the client's next query is written meanwhile
    }
    out.write(Fuzz.concat(ScriptedPostgres.concat(reply), tail));
    out.flush();
    byte[] rest = later;
    if (rest != null) {
      pause();
      out.write(rest);
      out.flush();
    }
    return true;
  }

  /** Bytes written right after the answer that gets the messages, in the same write, 100 ms late. */
  static volatile byte[] tail = new byte[0];

  /** Bytes written 100 ms after the answer that gets the messages, or null. */
  static volatile byte[] later;

  private static void pause() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What PostgreSQL answers to the state check of a session that set work_mem. */
  private static List<byte[]> stateCheckReply() {
    List<byte[]> reply = new ArrayList<>();
    reply.add(PgWire.typed('T', Fuzz.concat(new byte[] {0, 3}, column("?column?"), column("name"), column("setting"))));
    reply.add(row("s", "work_mem", "64MB"));
    reply.add(row("s", "role", "none"));
    reply.add(row("a", "session_authorization", Roles.TRUST));
    reply.add(PgWire.typed('C', ScriptedPostgres.cstrings("SELECT 3")));
    reply.add(PgWire.typed('Z', new byte[] {'I'}));
    return reply;
  }

  private static byte[] column(String name) {
    return Fuzz.concat(ScriptedPostgres.cstrings(name), new byte[18]);
  }

  /** A DataRow of text values, null for SQL NULL. */
  static byte[] row(String... values) {
    return PgWire.typed('D', rowBody(values));
  }

  private static byte[] rowBody(String... values) {
    List<byte[]> parts = new ArrayList<>();
    parts.add(new byte[] {0, (byte) values.length});
    for (String v : values) {
      if (v == null) {
        parts.add(Fuzz.int32(-1));
      } else {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        parts.add(Fuzz.int32(b.length));
        parts.add(b);
      }
    }
    return Fuzz.concat(parts.toArray(new byte[0][]));
  }

  /** Where the generated messages go: a pool and database, and a request. */
  record Target(String pooler, String database) {}

  /**
   * A simple query, or Parse (of an unnamed or a named statement), Bind, Describe, Execute, Sync;
   * or a DO block, which in transaction pooling has the pooler read the session's state back
   * after it: the messages then go into the answer to that read-back; or a plain query in session
   * pooling, whose client's leaving has the pooler run the reset query: the messages go into its
   * answer (before its ReadyForQuery or after it), and the next client must not see them.
   */
  enum Request { QUERY, UNNAMED, NAMED, UNSEEN, RESET }

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
    try (LogCapture closes = new LogCapture("dev.breakwater.server.stats.ConnectionLog");
        LogCapture log = new LogCapture(ServerConnection.class)) {
      round(new Target("plain", "tx"), Request.QUERY, new Insert(4, List.of(fatal)));
      assertThat(log.lines()).anyMatch(l -> l.contains("sent FATAL 57P01 terminating connection with no client linked"));
      assertThat(closes.lines()).anyMatch(l -> l.contains("closing because: server sent a FATAL error"));
    }
  }

  /**
   * What PostgreSQL sends unasked (a notice, a parameter's new value, a notification) while its
   * session-pooled client has nothing running is relayed, and the server kept: the quiet check
   * closes no healthy server.
   */
  @Test
  void whatPostgresSendsUnaskedKeepsTheServer() throws Exception {
    List<byte[]> unasked = List.of(
        PgWire.typed('N', ScriptedPostgres.notice("unasked")),
        PgWire.typed('S', ScriptedPostgres.cstrings("TimeZone", "Europe/Paris")),
        PgWire.typed('A', Fuzz.concat(Fuzz.int32(4242), ScriptedPostgres.cstrings("channel", "payload"))));
    round(new Target("plain", "session"), Request.QUERY, new Insert(0, List.of()));
    int logins = server.logins();
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      round(new Target("plain", "session"), Request.QUERY, new Insert(4, unasked));
      assertThat(log.lines()).noneMatch(l -> l.contains("broke the protocol"));
    }
    assertThat(server.logins()).as("no server closed, none logged in").isEqualTo(logins);
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

  /**
   * Regression (found by a 4,000-try run: a FATAL error in the state read-back, and in the same read
   * the first bytes of the answer to the client's next query): a server lost after part of a
   * message had been relayed to the client had an ErrorResponse sent after that part, which the
   * client read as the rest of the message. It is closed without one now.
   */
  @Test
  void aServerLostInTheMiddleOfAMessageClosesTheClientWithoutAnError() throws Exception {
    try (PgWire w = new PgWire(plain.port()).timeout(2_000).login("tx", Roles.TRUST, "")) {
      w.send(PgWire.query(CUT));
      assertThat(w.read()).as("the RowDescription cut short, and nothing after it").isNull();
    }
  }

  /**
   * Regression (found by a 4,000-try run, the reply split across the pooler's reads): a protocol
   * violation dropped what the read had for the client, the rest of a message whose first part had
   * gone out among it, and the ErrorResponse followed that first part. What came before the fault
   * goes out now, then the error.
   */
  @Test
  void aFaultAfterTheRestOfASplitMessageSendsTheRestFirst() throws Exception {
    try (PgWire w = new PgWire(plain.port()).timeout(2_000).login("session", Roles.TRUST, "")) {
      w.send(PgWire.query(SPLIT));
      List<PgWire.Message> got = new ArrayList<>();
      for (PgWire.Message m = w.read(); m != null; m = w.read()) {
        got.add(m);
      }
      assertThat(got).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z', 'E');
      assertThat(new String(got.get(2).body(), StandardCharsets.UTF_8)).isEqualTo("SELECT 1\0");
    }
  }

  /**
   * Regression (shrunk): a row of the session-state read-back with a NULL kind threw
   * NullPointerException on the server's loop. A row that is not a kind, a name and a value is a
   * protocol violation now.
   */
  @Test
  void aMalformedStateReadBackRowIsAProtocolViolation() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      round(new Target("plain", "tx"), Request.UNSEEN, new Insert(1, List.of(row(null, "work_mem", "1MB"))));
      assertThat(log.lines()).anyMatch(l -> l.contains("the session state check's answer has a row [null, work_mem, 1MB]"));
    }
  }

  /**
   * Regression (shrunk): a FATAL error in answer to the session-state read-back, which the client
   * never sees, closed the client without a word. It gets that error now.
   */
  @Test
  void aFatalErrorInTheReadBackReachesTheClient() throws Exception {
    byte[] fatal = PgWire.typed('E', ScriptedPostgres.cstrings("SFATAL", "VFATAL", "C57P01", "Mterminating connection", ""));
    next.set(new Insert(1, List.of(fatal)));
    insertInto = STATE_CHECK;
    try (PgWire w = new PgWire(plain.port()).timeout(2_000).login("tx", Roles.TRUST, "")) {
      w.send(PgWire.query("DO $$ BEGIN PERFORM 1; END $$"));
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      assertThat(w.errorThenClose()).as("the read-back's FATAL error, then a close").isNotNull()
          .extracting(Object::toString).asString().contains("57P01");
    } finally {
      insertInto = MARK;
    }
  }

  /**
   * Found by a 3,000-try run with a random seed (-6335948371690802494, try 448; it failed in three
   * runs of four, by timing): a FATAL error answering the session-state read-back, and in the same
   * read the start of an answer (a broken server goes on after FATAL; here, the start of one to the
   * client's next query). The scan went on past the FATAL, relayed that start to the client, and
   * the close at the end of the read then cut a message, so the client was closed without the
   * error. A read stops at a FATAL error now.
   */
  @Test
  void aFatalErrorEndsTheRead() throws Exception {
    byte[] fatal = PgWire.typed('E', ScriptedPostgres.cstrings("SFATAL", "VFATAL", "C57P01", "Mterminating connection", ""));
    next.set(new Insert(4, List.of(fatal)));
    tail = Arrays.copyOf(ScriptedPostgres.answer("SELECT 'the next answer'"), 10);
    insertInto = STATE_CHECK;
    try (PgWire w = new PgWire(plain.port()).timeout(2_000).login("tx", Roles.TRUST, "")) {
      w.send(PgWire.query("DO $$ BEGIN PERFORM 2; END $$"));
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      // Written behind the read-back, before its answer comes (100 ms later).
      w.send(PgWire.query("SELECT 'the next answer'"));
      assertThat(w.errorThenClose()).as("the read-back's FATAL error, then a close").isNotNull()
          .extracting(Object::toString).asString().contains("57P01");
    } finally {
      insertInto = MARK;
      tail = new byte[0];
    }
  }

  /**
   * Found in review: a read that ended inside a message after the releasing ReadyForQuery (its
   * start dropped, no client being linked) left the server in the pool mid-message, and the next
   * client of the server got the rest as the start of its answer. Such a server is closed now.
   */
  @Test
  void aServerInTheMiddleOfAMessageAtItsReleaseIsClosed() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      try (PgWire w = new PgWire(plain.port()).timeout(2_000).login("tx", Roles.TRUST, "")) {
        w.send(PgWire.query(NOTICE_SPLIT));
        assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      }
      // At once: the notice's rest comes while the next client has the server.
      round(new Target("plain", "tx"), Request.QUERY, new Insert(0, List.of()));
      assertThat(log.lines()).anyMatch(l -> l.contains("was in the middle of a message when its client's transaction ended"));
    }
  }

  /**
   * Found in review: one of Breakwater's own queries (here session pooling's reset) gave the
   * server back at its ReadyForQuery whatever followed in the read; when that was the start of a
   * message (a notice, its rest still to come), a waiting client handed the server got the rest as
   * the start of its answer. The rest of the read is read first now, with no client linked, and a
   * server left in the middle of a message is closed.
   */
  @Test
  void aServerInTheMiddleOfAMessageAfterTheResetIsClosed() throws Exception {
    byte[] notice = PgWire.typed('N', ScriptedPostgres.notice("after the reset"));
    next.set(new Insert(4, List.of(Arrays.copyOf(notice, 12))));
    later = Arrays.copyOfRange(notice, 12, notice.length);
    try (PgWire a = new PgWire(plain.port()).timeout(2_000).login("session", Roles.TRUST, "");
        PgWire b = new PgWire(plain.port()).timeout(2_000)) {
      a.send(PgWire.query("SELECT 'a'"));
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
      insertInto = RESET_QUERY;
      // b logs in and asks while a has the pool's one server: b waits for it.
      b.send(PgWire.startup("user", Roles.TRUST, "database", "session"), PgWire.query("SELECT 'b'"));
      Thread.sleep(100);
      a.close(); // the reset runs; its answer has the start of a notice after its ReadyForQuery
      assertThat(b.readUntil('Z').type()).as("b's login").isEqualTo('Z');
      List<PgWire.Message> got = new ArrayList<>();
      for (PgWire.Message m = b.read(); m != null; m = m.type() == 'Z' ? null : b.read()) {
        got.add(m);
      }
      assertThat(got).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      assertThat(new String(got.get(1).body(), StandardCharsets.UTF_8)).contains("SELECT 'b'");
    } finally {
      insertInto = MARK;
      later = null;
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
        insertInto = switch (request) {
          case UNSEEN -> STATE_CHECK;
          case RESET -> target.database().equals("session") ? RESET_QUERY : "(nothing)";
          default -> MARK;
        };
        if (request == Request.QUERY || request == Request.RESET) {
          w.send(PgWire.query(sql));
        } else if (request == Request.UNSEEN) {
          w.send(PgWire.query("DO $$ BEGIN PERFORM " + rounds + "; END $$"));
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
          if (got != null && got.stream().anyMatch(ServerRepliesFuzzTest::fatal)) {
            // PostgreSQL may end a session at any time: the close follows the FATAL error.
            assertThat(w.read()).as("closed after a FATAL error").isNull();
          } else if (got != null) {
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

  private static boolean fatal(PgWire.Message m) {
    return m.type() == 'E' && new String(m.body(), StandardCharsets.UTF_8).contains("VFATAL\0");
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
      } catch (IOException e) {
        throw new IOException(e.getMessage() + ", after " + all, e);
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
    {'D', rowBody("s", "search_path", "x")},
    {'D', rowBody("p", null, null)},
    {'D', rowBody(null, "work_mem", "1MB")},
    {'D', rowBody("s", "work_mem")},
    {'D', rowBody("a", "session_authorization", "someone")},
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
