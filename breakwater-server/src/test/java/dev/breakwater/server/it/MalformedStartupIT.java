package dev.breakwater.server.it;

import static dev.breakwater.server.it.PgWire.concat;
import static dev.breakwater.server.it.PgWire.cstrings;
import static dev.breakwater.server.it.PgWire.int32;
import static dev.breakwater.server.it.PgWire.startup;
import static dev.breakwater.server.it.PgWire.untyped;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.it.PgWire.Message;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Raw sockets sending what no driver would: bad startup packet lengths, oversized and malformed
 * startup packets, unsupported versions, SSL and GSS negotiation, and garbage after login. Each
 * gets an ErrorResponse or a close, and after each one a pgjdbc client is served normally. The
 * pool has one server, so a server left stuck by a bad client would show up at once.
 */
class MalformedStartupIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler =
        Pooler.builder()
            .set("auth_type", "plain")
            .poolSize(1)
            .set("query_wait_timeout", "3")
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  /** After every test: the pooler still serves a normal client, within query_wait_timeout. */
  @AfterEach
  void stillServes() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(Sql.one(c, "SELECT 'still serving'")).isEqualTo("still serving");
    }
  }

  private static PgWire wire() throws Exception {
    return new PgWire(pooler.port());
  }

  /** Sends {@code bytes}; expects exactly an ErrorResponse with this SQLSTATE and message, then a close. */
  private static void assertRejected(byte[] bytes, String sqlState, String message) throws Exception {
    try (PgWire w = wire()) {
      w.send(bytes);
      Message e = w.errorThenClose();
      assertThat(e).as("an ErrorResponse before the close").isNotNull();
      assertThat(e.fields().get('S')).isEqualTo("FATAL");
      assertThat(e.sqlState()).as("%s", e).isEqualTo(sqlState);
      if (message != null) {
        assertThat(e.text()).isEqualTo(message);
      }
    }
  }

  /** Expects an ErrorResponse (with this SQLSTATE when not null) or a bare close: not a hang. */
  private static void assertErrorOrClose(PgWire w, String sqlState) throws Exception {
    Message e = w.errorThenClose();
    if (e != null && sqlState != null) {
      assertThat(e.sqlState()).as("%s", e).isEqualTo(sqlState);
    }
  }

  private static byte[] login() {
    return startup("user", Roles.PLAIN, "database", Roles.DATABASE);
  }

  // ---- Startup packet lengths ----

  @Test
  void lengthZero() throws Exception {
    assertRejected(int32(0), "08P01", "invalid startup packet length 0");
  }

  @Test
  void lengthBelowTheHeader() throws Exception {
    assertRejected(concat(int32(7), new byte[3]), "08P01", "invalid startup packet length 7");
  }

  @Test
  void lengthMaxInt() throws Exception {
    assertRejected(int32(Integer.MAX_VALUE), "08P01", "invalid startup packet length 2147483647");
  }

  @Test
  void lengthTwoToThe31() throws Exception {
    assertRejected(int32(0x80000000), "08P01", "invalid startup packet length -2147483648");
  }

  @Test
  void oversizedLengthIsRejectedBeforeTheBodyArrives() throws Exception {
    assertRejected(
        concat(int32(20000), int32(PgWire.PROTOCOL_3_0)), "08P01", "invalid startup packet length 20000");
  }

  @Test
  void oversizedPacketSentWhole() throws Exception {
    byte[] packet = startup("user", Roles.PLAIN, "database", Roles.DATABASE, "application_name", "x".repeat(19950));
    assertThat(packet.length).isGreaterThan(20000);
    try (PgWire w = wire()) {
      w.send(packet);
      assertErrorOrClose(w, "08P01");
    }
  }

  @Test
  void largeButLegalPacketLogsIn() throws Exception {
    // PostgreSQL accepts startup packets up to 10000 bytes.
    byte[] packet = startup("user", Roles.PLAIN, "database", Roles.DATABASE, "application_name", "y".repeat(9000));
    assertThat(packet.length).isLessThan(10000);
    try (PgWire w = wire()) {
      w.send(packet);
      Message r = w.read();
      assertThat(r.type()).as("%s", r).isEqualTo('R');
    }
  }

  @Test
  void startupPacketTrickledByteByByteLogsIn() throws Exception {
    try (PgWire w = wire()) {
      for (byte b : login()) {
        w.send(new byte[] {b});
        Thread.sleep(2);
      }
      Message r = w.read();
      assertThat(r.type()).as("%s", r).isEqualTo('R');
      assertThat(r.int32(0)).isEqualTo(3);
      w.send(PgWire.password(Roles.password(Roles.PLAIN)));
      assertThat(w.readUntil('Z')).extracting(Message::type).isEqualTo('Z');
    }
  }

  @Test
  void clientLeavesHalfwayThroughTheStartupPacket() throws Exception {
    byte[] packet = login();
    try (PgWire w = wire()) {
      w.send(java.util.Arrays.copyOf(packet, packet.length / 2));
    }
  }

  // ---- Startup packet contents ----

  @Test
  void protocolVersion2() throws Exception {
    assertRejected(
        startup(2 << 16, "user", Roles.PLAIN, "database", Roles.DATABASE),
        "0A000",
        "unsupported frontend protocol 2.0: server supports 3.0 to 3.2");
  }

  @Test
  void protocolVersion32IsNegotiatedDown() throws Exception {
    try (PgWire w = wire()) {
      w.send(startup((3 << 16) | 2, "user", Roles.PLAIN, "database", Roles.DATABASE, "_pq_.bw_test", "1"));
      Message v = w.read();
      assertThat(v.type()).as("%s", v).isEqualTo('v');
      assertThat(v.int32(0)).as("newest minor version").isZero();
      assertThat(v.int32(4)).as("unrecognized options").isEqualTo(1);
      assertThat(new String(v.body(), 8, v.body().length - 8)).isEqualTo("_pq_.bw_test\0");
      Message r = w.read();
      assertThat(r.type()).isEqualTo('R');
      w.send(PgWire.password(Roles.password(Roles.PLAIN)));
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
    }
  }

  @Test
  void parameterWithoutValue() throws Exception {
    // "database" and then the end of the packet: no value, no terminator.
    assertRejected(
        untyped(PgWire.PROTOCOL_3_0, cstrings("user", Roles.PLAIN, "database")), "08P01", null);
  }

  @Test
  void unterminatedString() throws Exception {
    assertRejected(
        untyped(PgWire.PROTOCOL_3_0, concat(cstrings("user"), "bw_pl".getBytes())), "08P01", null);
  }

  @Test
  void noUser() throws Exception {
    assertRejected(
        startup("database", Roles.DATABASE),
        "28000",
        "no PostgreSQL user name specified in startup packet");
  }

  // ---- Encryption negotiation ----

  @Test
  void sslRequestIsAnsweredNThenStartupWorks() throws Exception {
    try (PgWire w = wire()) {
      w.send(untyped(PgWire.SSL_REQUEST, new byte[0]));
      assertThat(w.readByte()).isEqualTo('N');
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
    }
    Properties p = new Properties();
    p.setProperty("sslmode", "prefer");
    try (Connection c = pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), p)) {
      assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void gssEncRequestIsAnsweredNThenStartupWorks() throws Exception {
    try (PgWire w = wire()) {
      w.send(untyped(PgWire.GSSENC_REQUEST, new byte[0]));
      assertThat(w.readByte()).isEqualTo('N');
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
    }
  }

  @Test
  void gssEncRequestThenSslRequestThenStartupWorks() throws Exception {
    // libpq with gssencmode=prefer and sslmode=prefer does this on one connection when it has
    // Kerberos credentials: GSSENCRequest, 'N', SSLRequest, 'N', StartupMessage. PostgreSQL
    // accepts one of each.
    try (PgWire w = wire()) {
      w.send(untyped(PgWire.GSSENC_REQUEST, new byte[0]));
      assertThat(w.readByte()).isEqualTo('N');
      w.send(untyped(PgWire.SSL_REQUEST, new byte[0]));
      int answer = w.readByte();
      assertThat(answer).as("answer to SSLRequest after a refused GSSENCRequest").isEqualTo('N');
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
    }
  }

  @Test
  void secondSslRequestIsRefused() throws Exception {
    try (PgWire w = wire()) {
      w.send(untyped(PgWire.SSL_REQUEST, new byte[0]));
      assertThat(w.readByte()).isEqualTo('N');
      w.send(untyped(PgWire.SSL_REQUEST, new byte[0]));
      assertThat(w.errorThenClose()).isNotNull();
    }
  }

  @Test
  void bytesAfterSslRequestInTheSamePacketAreRefused() throws Exception {
    assertRejected(
        concat(untyped(PgWire.SSL_REQUEST, new byte[0]), login()),
        "08P01",
        "received unencrypted data after SSL request");
  }

  @Test
  void cancelRequestWithAnUnknownKeyIsClosedSilently() throws Exception {
    try (PgWire w = wire()) {
      w.send(untyped(80877102, concat(int32(12345), int32(67890))));
      assertThat(w.read()).as("nothing but a close").isNull();
    }
  }

  // ---- Garbage during and after login ----

  @Test
  void queryInsteadOfPassword() throws Exception {
    try (PgWire w = wire()) {
      w.send(login());
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.query("SELECT 1"));
      Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("08P01");
      assertThat(e.text()).isEqualTo("expected password response, got message type 'Q'");
    }
  }

  @Test
  void oversizedPasswordMessage() throws Exception {
    try (PgWire w = wire()) {
      w.send(login());
      assertThat(w.read().type()).isEqualTo('R');
      w.send(new byte[] {'p'}, int32(100_000), new byte[1000]);
      assertErrorOrClose(w, "54000");
    }
  }

  @Test
  void messageWithLengthTwoAfterLogin() throws Exception {
    try (PgWire w = wire()) {
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      w.send(new byte[] {'Q'}, int32(2));
      Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("08P01");
      assertThat(e.text()).isEqualTo("invalid length 2 for message of type 'Q'");
    }
  }

  @Test
  void messageWithNegativeLengthAfterLogin() throws Exception {
    try (PgWire w = wire()) {
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      w.send(new byte[] {'Q'}, int32(0x80000000));
      Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("08P01");
    }
  }

  @Test
  void unknownTypeWithHugeLengthAfterLogin() throws Exception {
    try (PgWire w = wire()) {
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      w.send(new byte[] {'z'}, int32(Integer.MAX_VALUE), new byte[100]);
      assertErrorOrClose(w, "08P01");
    }
  }

  @Test
  void passwordMessageAfterLogin() throws Exception {
    try (PgWire w = wire()) {
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      w.send(PgWire.password("again"));
      assertErrorOrClose(w, "08P01");
    }
  }

  @Test
  void clientLeavesInTheMiddleOfAQueryMessage() throws Exception {
    // The header promises 1000 bytes; 10 arrive, then the client is gone. The one server must not
    // stay waiting for the rest.
    try (PgWire w = wire()) {
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      w.send(new byte[] {'Q'}, int32(1000), "SELECT 1 ".getBytes());
      Thread.sleep(100);
    }
  }

  @Test
  void garbageRightAfterTheStartupPacketInOneWrite() throws Exception {
    // A startup packet followed at once by bytes that are not a password message.
    try (PgWire w = wire()) {
      w.send(concat(login(), new byte[] {'!', 0, 0, 0, 2}));
      assertErrorOrClose(w, "08P01");
    }
  }

  @Test
  void noDatabaseMeansTheUserName() throws Exception {
    try (PgWire w = wire()) {
      w.send(startup("user", Roles.PLAIN));
      // An unknown database is told only to a client that authenticated.
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.password(Roles.password(Roles.PLAIN)));
      Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("3D000");
      assertThat(e.text()).isEqualTo("no such database: bw_plain");
    }
  }

  @Test
  void wrongCleartextPassword() throws Exception {
    try (PgWire w = wire()) {
      w.send(login());
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.password("nope"));
      Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      assertThat(e.sqlState()).isEqualTo("28P01");
      assertThat(e.text()).isEqualTo("password authentication failed for user \"bw_plain\"");
    }
  }

  @Test
  void terminateDuringLogin() throws Exception {
    try (PgWire w = wire()) {
      w.send(login());
      assertThat(w.read().type()).isEqualTo('R');
      w.send(new byte[] {'X'}, int32(4));
      assertThat(w.read()).as("closed").isNull();
    }
  }

  @Test
  void queryPipelinedRightBehindThePassword() throws Exception {
    // Not waiting for ReadyForQuery is impolite but harmless: the query must run after login.
    // bw_md5 (its pool is new here) and bw_plain (its pool is known).
    for (String user : new String[] {Roles.MD5, Roles.PLAIN}) {
      try (PgWire w = wire()) {
        w.send(startup("user", user, "database", Roles.DATABASE));
        assertThat(w.read().type()).isEqualTo('R');
        w.send(PgWire.password(Roles.password(user)), PgWire.query("SELECT 'pipelined'"));
        assertThat(w.readUntil('Z').type()).as("login of %s", user).isEqualTo('Z');
        Message row = w.readUntil('D');
        assertThat(row.type()).as("%s", row).isEqualTo('D');
        assertThat(new String(row.body(), 6, row.body().length - 6)).isEqualTo("pipelined");
        assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      }
    }
  }
}
