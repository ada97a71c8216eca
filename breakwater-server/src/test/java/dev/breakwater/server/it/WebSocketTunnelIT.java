package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket endpoint {@code /v2}: the PostgreSQL protocol in binary frames, logged in the way
 * Neon's driver does (StartupMessage, cleartext password and first query in one frame, before
 * the server says anything) or step by step, served from the pooler's own pools whatever
 * {@code address} the URL names.
 */
class WebSocketTunnelIT {

  static Pooler pooler;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_addr", "127.0.0.1")
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .set("admin_users", Roles.ADMIN)
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  /** A backend message: its type and body. */
  record Message(char type, ByteBuf body) {
    String text() {
      return body.toString(StandardCharsets.UTF_8);
    }

    /** An ErrorResponse's or NoticeResponse's field. */
    String field(char code) {
      ByteBuf b = body.duplicate();
      while (b.isReadable()) {
        byte c = b.readByte();
        if (c == 0) {
          break;
        }
        int end = b.bytesBefore((byte) 0);
        String v = b.readCharSequence(end, StandardCharsets.UTF_8).toString();
        b.skipBytes(1);
        if (c == code) {
          return v;
        }
      }
      return null;
    }

    /** A DataRow's values. */
    List<String> row() {
      ByteBuf b = body.duplicate();
      int n = b.readUnsignedShort();
      List<String> l = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int len = b.readInt();
        l.add(len < 0 ? null : b.readCharSequence(len, StandardCharsets.UTF_8).toString());
      }
      return l;
    }
  }

  /** A WebSocket client speaking the PostgreSQL protocol, as the driver does. */
  static final class Session implements WebSocket.Listener, AutoCloseable {
    final WebSocket ws;
    final ByteBuf in = Unpooled.wrappedBuffer(new byte[1 << 20]).clear();
    final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
    final CompletableFuture<Integer> closed = new CompletableFuture<>();

    Session(String address) throws Exception {
      this(HttpClient.newHttpClient(), URI.create("ws://127.0.0.1:" + port + "/v2?address=" + address));
    }

    Session(HttpClient client, URI uri) throws Exception {
      ws = client
          .newWebSocketBuilder()
          .connectTimeout(Duration.ofSeconds(5))
          .buildAsync(uri, this)
          .get(10, TimeUnit.SECONDS);
    }

    @Override
    public synchronized CompletionStage<?> onBinary(WebSocket webSocket, ByteBuffer data, boolean last) {
      in.writeBytes(data);
      while (in.readableBytes() >= 5) {
        int len = in.getInt(in.readerIndex() + 1);
        if (in.readableBytes() < len + 1) {
          break;
        }
        char type = (char) in.readByte();
        in.readInt();
        byte[] body = new byte[len - 4];
        in.readBytes(body);
        messages.add(new Message(type, Unpooled.wrappedBuffer(body)));
      }
      in.discardReadBytes();
      webSocket.request(1);
      return null;
    }

    final CompletableFuture<ByteBuffer> pong = new CompletableFuture<>();

    @Override
    public CompletionStage<?> onPong(WebSocket webSocket, ByteBuffer message) {
      pong.complete(message);
      webSocket.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
      closed.complete(statusCode);
      return null;
    }

    @Override
    public void onError(WebSocket webSocket, Throwable error) {
      closed.completeExceptionally(error);
    }

    void send(ByteBuf bytes) throws Exception {
      ByteBuffer b = ByteBuffer.allocate(bytes.readableBytes());
      bytes.readBytes(b);
      b.flip();
      bytes.release();
      ws.sendBinary(b, true).get(5, TimeUnit.SECONDS);
    }

    Message next() throws InterruptedException {
      Message m = messages.poll(15, TimeUnit.SECONDS);
      assertThat(m).as("a message from the pooler").isNotNull();
      return m;
    }

    /** Messages up to and including the next one of {@code type}. */
    List<Message> until(char type) throws InterruptedException {
      List<Message> l = new ArrayList<>();
      Message m;
      do {
        m = next();
        l.add(m);
      } while (m.type() != type);
      return l;
    }

    static List<List<String>> rows(List<Message> l) {
      List<List<String>> rows = new ArrayList<>();
      for (Message m : l) {
        if (m.type() == 'D') {
          rows.add(m.row());
        }
      }
      return rows;
    }

    List<List<String>> query(String sql) throws Exception {
      ByteBuf out = Unpooled.buffer();
      FrontendMessages.query(out, sql);
      send(out);
      List<Message> l = until('Z');
      for (Message m : l) {
        assertThat(m.type()).as(m.type() == 'E' ? m.field('M') : "message").isNotEqualTo('E');
      }
      return rows(l);
    }

    @Override
    public void close() {
      ws.abort();
    }
  }

  static ByteBuf startup(String user, String database) {
    ByteBuf out = Unpooled.buffer();
    Map<String, String> p = new LinkedHashMap<>();
    p.put("user", user);
    p.put("database", database);
    p.put("application_name", "pkg:npm/%40neondatabase/serverless@1.2.0");
    p.put("client_encoding", "UTF8");
    FrontendMessages.startupMessage(out, p);
    return out;
  }

  /** The driver's default login: Startup, cleartext password and the first query in one frame. */
  static Session pipelined(String user, String password, String firstQuery) throws Exception {
    // An address that must never be dialled: nothing listens there.
    Session s = new Session("127.0.0.1:" + TestPostgres.freePort());
    ByteBuf out = startup(user, Roles.DATABASE);
    FrontendMessages.password(out, password);
    FrontendMessages.query(out, firstQuery);
    s.send(out);
    return s;
  }

  @Test
  void pipelinedCleartextLoginForEveryKindOfSecret() throws Exception {
    for (String user : List.of(Roles.PLAIN, Roles.MD5, Roles.SCRAM)) {
      try (Session s = pipelined(user, Roles.password(user), "SELECT current_user")) {
        List<Message> login = s.until('Z');
        assertThat(login.get(0).type()).isEqualTo('R');
        assertThat(login.get(0).body().getInt(0)).as("AuthenticationCleartextPassword").isEqualTo(3);
        assertThat(login.get(1).type()).isEqualTo('R');
        assertThat(login.get(1).body().getInt(0)).as("AuthenticationOk").isEqualTo(0);
        assertThat(login).extracting(Message::type).contains('S', 'K');
        // The query that came with the login is answered after it, in order.
        assertThat(Session.rows(s.until('Z'))).isEqualTo(List.of(List.of(user)));
        assertThat(s.query("SELECT 1 + 1")).isEqualTo(List.of(List.of("2")));
      }
    }
  }

  @Test
  void wrongPasswordIsAFatal28P01AndACloseFrame() throws Exception {
    try (Session s = pipelined(Roles.SCRAM, "wrong", "SELECT 1")) {
      List<Message> l = s.until('E');
      Message e = l.get(l.size() - 1);
      assertThat(e.field('C')).isEqualTo("28P01");
      assertThat(e.field('S')).isEqualTo("FATAL");
      assertThat(s.closed.get(10, TimeUnit.SECONDS)).isEqualTo(1000);
    }
  }

  @Test
  void stepByStepLoginAsWithPipelineConnectFalse() throws Exception {
    try (Session s = new Session("example.invalid:5432")) {
      s.send(startup(Roles.MD5, Roles.DATABASE));
      Message ask = s.next();
      assertThat(ask.type()).isEqualTo('R');
      assertThat(ask.body().getInt(0)).isEqualTo(3);
      ByteBuf out = Unpooled.buffer();
      FrontendMessages.password(out, Roles.password(Roles.MD5));
      s.send(out);
      s.until('Z');
      assertThat(s.query("SELECT 'ws'")).isEqualTo(List.of(List.of("ws")));
      // Interactive transactions and errors that leave the session usable.
      s.query("BEGIN");
      assertThat(s.query("SELECT txid_current() = txid_current()")).isEqualTo(List.of(List.of("t")));
      ByteBuf bad = Unpooled.buffer();
      FrontendMessages.query(bad, "SELECT * FROM no_such_table");
      s.send(bad);
      assertThat(s.until('Z')).extracting(Message::type).contains('E');
      s.query("ROLLBACK");
      assertThat(s.query("SELECT 3")).isEqualTo(List.of(List.of("3")));
      // SHOW CLIENTS marks the session's kind.
      java.util.Properties simple = new java.util.Properties();
      simple.setProperty("preferQueryMode", "simple");
      try (Connection admin = pooler.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), simple);
          Statement st = admin.createStatement();
          ResultSet rs = st.executeQuery("SHOW CLIENTS")) {
        boolean seen = false;
        while (rs.next()) {
          if (Roles.MD5.equals(rs.getString("user"))) {
            assertThat(rs.getString("local_addr")).isEqualTo("ws");
            assertThat(rs.getString("addr")).isEqualTo("127.0.0.1");
            seen = true;
          }
        }
        assertThat(seen).isTrue();
      }
      // Terminate and a close handshake answered at once.
      ByteBuf x = Unpooled.buffer();
      FrontendMessages.terminate(x);
      s.send(x);
      try {
        s.ws.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        // The pooler's close after the Terminate may come first: the JDK answers it itself, and
        // this close then finds the output closed. Either way the session ends with 1000.
        assertThat(e.getCause()).isInstanceOf(java.io.IOException.class).hasMessage("Output closed");
      }
      assertThat(s.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1000);
    }
  }

  @Test
  void pingIsAnsweredAndCancelComesOnANewWebSocket() throws Exception {
    try (Session s = pipelined(Roles.PLAIN, Roles.password(Roles.PLAIN), "SELECT 1")) {
      List<Message> login = s.until('Z');
      s.until('Z');
      s.ws.sendPing(ByteBuffer.wrap(new byte[] {1, 2, 3})).get(5, TimeUnit.SECONDS);
      assertThat(s.pong.get(5, TimeUnit.SECONDS).remaining()).isEqualTo(3);
      Message key = login.stream().filter(m -> m.type() == 'K').findFirst().orElseThrow();
      ByteBuf q = Unpooled.buffer();
      FrontendMessages.query(q, "SELECT pg_sleep(30)");
      s.send(q);
      Thread.sleep(300);
      try (Session cancel = new Session("ignored:1")) {
        ByteBuf out = Unpooled.buffer();
        FrontendMessages.cancelRequest(out, key.body().getInt(0), key.body().getInt(4));
        cancel.send(out);
        assertThat(cancel.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1000);
      }
      List<Message> l = s.until('Z');
      assertThat(l.stream().filter(m -> m.type() == 'E').map(m -> m.field('C'))).containsExactly("57014");
      assertThat(s.query("SELECT 'still here'")).isEqualTo(List.of(List.of("still here")));
    }
  }

  @Test
  void listenNotifyIsDeliveredWhileIdle() throws Exception {
    try (Session s = pipelined(Roles.PLAIN, Roles.password(Roles.PLAIN), "LISTEN neon_ws")) {
      s.until('Z');
      s.until('Z');
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        Sql.exec(c, "NOTIFY neon_ws, 'hello'");
      }
      Message n = s.next();
      assertThat(n.type()).isEqualTo('A');
      assertThat(n.text()).contains("neon_ws").contains("hello");
    }
  }

  @Test
  void aClientGoneInATransactionIsRolledBack() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "CREATE TABLE IF NOT EXISTS neon_ws_gone (x int)");
      Sql.exec(c, "TRUNCATE neon_ws_gone");
    }
    Session s = pipelined(Roles.PLAIN, Roles.password(Roles.PLAIN), "BEGIN");
    s.until('Z');
    s.until('Z');
    s.query("INSERT INTO neon_ws_gone VALUES (1)");
    s.close();
    Thread.sleep(500);
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(Sql.one(c, "SELECT count(*) FROM neon_ws_gone")).isEqualTo("0");
    }
  }
}
