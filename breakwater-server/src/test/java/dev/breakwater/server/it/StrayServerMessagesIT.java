package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server that speaks after the ReadyForQuery that released it, in the same read or while it waits
 * in the pool: what it says is nobody's, so no later client may see it. PostgreSQL does not do this
 * on demand, so the server here is a scripted peer: it logs anyone in and answers each simple query
 * with one row, and two queries make it speak out of turn.
 */
class StrayServerMessagesIT {

  /** Answered, then followed in the same write by a NoticeResponse and a ParameterStatus. */
  private static final String STRAY_IN_SAME_READ = "SELECT 'stray in the same read'";
  /** Answered, then followed 200 ms later (the server back in the pool) by a NoticeResponse. */
  private static final String STRAY_WHILE_IDLE = "SELECT 'stray while idle'";

  private ScriptedServer server;
  private Pooler pooler;

  @BeforeEach
  void start() throws Exception {
    server = new ScriptedServer();
    pooler =
        Pooler.builder()
            .set("auth_type", "trust")
            .set("server_tls_sslmode", "disable")
            .poolSize(1)
            .threads(1)
            .database("scripted = dbname=scripted port=" + server.port())
            .start();
  }

  @AfterEach
  void stop() throws IOException {
    pooler.close();
    server.close();
  }

  @Test
  void messagesAfterTheReleasingReadyForQueryInTheSameReadReachNoClient() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      try (PgWire a = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        List<PgWire.Message> replies = query(a, STRAY_IN_SAME_READ);
        assertThat(replies).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      }
      try (PgWire b = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        List<PgWire.Message> replies = query(b, "SELECT 'b'");
        assertThat(replies).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
        assertThat(new String(replies.get(1).body(), StandardCharsets.UTF_8)).contains("SELECT 'b'");
      }
      assertThat(server.logins()).as("both clients had the one server").isEqualTo(1);
      assertThat(log.lines())
          .anyMatch(l -> l.startsWith("WARN") && l.contains("sent 1 message(s) with no client linked, the first 'N': dropped"))
          .anyMatch(l -> l.startsWith("WARN") && l.contains("application_name = stray") && l.contains("dropped"));
    }
  }

  @Test
  void aNoticeFromAServerWaitingInThePoolReachesNoClient() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      try (PgWire a = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        assertThat(query(a, STRAY_WHILE_IDLE)).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!log.has("the first 'N': dropped") && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(log.has("the first 'N': dropped")).as("the notice was read and dropped").isTrue();
        // The client that last had the server hears nothing either.
        assertThat(query(a, "SELECT 'a again'")).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      }
      try (PgWire b = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        assertThat(query(b, "SELECT 'b'")).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      }
      assertThat(server.logins()).isEqualTo(1);
    }
  }

  /** Sends a simple query and returns every message up to and including its ReadyForQuery. */
  private static List<PgWire.Message> query(PgWire c, String sql) throws IOException {
    c.send(PgWire.query(sql));
    List<PgWire.Message> replies = new ArrayList<>();
    for (; ; ) {
      PgWire.Message m = c.read();
      assertThat(m).as("a reply to " + sql).isNotNull();
      replies.add(m);
      if (m.type() == 'Z') {
        return replies;
      }
    }
  }

  /** A PostgreSQL stand-in on loopback: trust login, one text row for any simple query. */
  private static final class ScriptedServer implements AutoCloseable {
    private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger logins = new AtomicInteger();
    private final Thread acceptor;

    ScriptedServer() throws IOException {
      acceptor = new Thread(this::accept, "scripted-postgres");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return listener.getLocalPort();
    }

    int logins() {
      return logins.get();
    }

    private void accept() {
      while (!listener.isClosed()) {
        try {
          Socket s = listener.accept();
          sockets.add(s);
          Thread t = new Thread(() -> serve(s), "scripted-postgres-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private void serve(Socket s) {
      try (s) {
        DataInputStream in = new DataInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        int length = in.readInt();
        in.readFully(new byte[length - 4]);
        logins.incrementAndGet();
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        message(hello, 'R', ByteBuffer.allocate(4).putInt(0).array());
        for (String[] p :
            new String[][] {
              {"server_version", "17.0"}, {"server_encoding", "UTF8"}, {"client_encoding", "UTF8"},
              {"DateStyle", "ISO, MDY"}, {"integer_datetimes", "on"}, {"standard_conforming_strings", "on"},
              {"TimeZone", "UTC"}, {"application_name", ""}
            }) {
          message(hello, 'S', cstrings(p[0], p[1]));
        }
        message(hello, 'K', ByteBuffer.allocate(8).putInt(4242).putInt(77).array());
        message(hello, 'Z', new byte[] {'I'});
        out.write(hello.toByteArray());
        out.flush();
        for (; ; ) {
          int type = in.read();
          if (type < 0 || type == 'X') {
            return;
          }
          byte[] body = new byte[in.readInt() - 4];
          in.readFully(body);
          if (type != 'Q') {
            continue;
          }
          String sql = new String(body, 0, body.length - 1, StandardCharsets.UTF_8);
          ByteArrayOutputStream reply = new ByteArrayOutputStream();
          if (sql.regionMatches(true, 0, "SET", 0, 3) || sql.regionMatches(true, 0, "RESET", 0, 5)) {
            message(reply, 'C', cstrings(sql.split(" ")[0].toUpperCase()));
          } else {
            ByteBuffer rowDescription = ByteBuffer.allocate(2 + 9 + 18);
            rowDescription.putShort((short) 1).put("?column?".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            rowDescription.putInt(0).putShort((short) 0).putInt(25).putShort((short) -1).putInt(-1).putShort((short) 0);
            message(reply, 'T', rowDescription.array());
            byte[] text = sql.getBytes(StandardCharsets.UTF_8);
            message(reply, 'D', ByteBuffer.allocate(6 + text.length).putShort((short) 1).putInt(text.length).put(text).array());
            message(reply, 'C', cstrings("SELECT 1"));
          }
          message(reply, 'Z', new byte[] {'I'});
          if (sql.equals(STRAY_IN_SAME_READ)) {
            message(reply, 'N', notice("meant for nobody"));
            message(reply, 'S', cstrings("application_name", "stray"));
          }
          out.write(reply.toByteArray());
          out.flush();
          if (sql.equals(STRAY_WHILE_IDLE)) {
            Thread.sleep(200);
            ByteArrayOutputStream late = new ByteArrayOutputStream();
            message(late, 'N', notice("late, and meant for nobody"));
            out.write(late.toByteArray());
            out.flush();
          }
        }
      } catch (IOException | InterruptedException e) {
        // The pooler closed the connection, or the test ended.
      }
    }

    private static byte[] notice(String text) {
      return cstrings("SNOTICE", "VNOTICE", "C00000", "M" + text, "");
    }

    private static byte[] cstrings(String... strings) {
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (String s : strings) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        b.write(0);
      }
      return b.toByteArray();
    }

    private static void message(ByteArrayOutputStream out, char type, byte[] body) {
      out.write(type);
      out.writeBytes(ByteBuffer.allocate(4).putInt(body.length + 4).array());
      out.writeBytes(body);
    }

    @Override
    public void close() throws IOException {
      listener.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
