package dev.breakwater.server.it;

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
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A PostgreSQL stand-in on loopback, for what PostgreSQL does not do on demand (speak out of turn,
 * send malformed replies): it logs anyone in without a password (no TLS), and answers each simple
 * query, and each extended-protocol batch at its Sync, as its {@link Script} says. By default a
 * query gets one text row holding its text (a SET or RESET its CommandComplete only); in a batch,
 * Parse, Bind and Close get their completions, Describe a RowDescription (a statement's with its
 * ParameterDescription first), Execute a row holding the last Parse's text and its CommandComplete.
 * One thread per connection; closing it closes every connection.
 */
final class ScriptedPostgres implements AutoCloseable {

  /** How a query is answered. */
  @FunctionalInterface
  interface Script {
    /**
     * Writes the answer to {@code sql} (a batch's last Parse, empty when it has none) to {@code out}
     * and flushes it, or returns false, having written nothing, for the default answer {@code usual}
     * (its messages one an element, ReadyForQuery last).
     */
    boolean answer(String sql, List<byte[]> usual, OutputStream out) throws IOException, InterruptedException;
  }

  /** What a connection is sent at login. */
  @FunctionalInterface
  interface Login {
    /**
     * The bytes sent after the startup packet, given the usual login (AuthenticationOk, the
     * ParameterStatus messages, BackendKeyData, ReadyForQuery), one message an element.
     */
    byte[] reply(List<byte[]> usual);

    /** Bytes written 30 ms after the reply, once the pooler has read it; none by default. */
    default byte[] later() {
      return new byte[0];
    }
  }

  private final ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final AtomicInteger logins = new AtomicInteger();
  private final Script script;
  private final Login login;

  ScriptedPostgres(Script script) throws IOException {
    this(script, ScriptedPostgres::concat);
  }

  ScriptedPostgres(Script script, Login login) throws IOException {
    this.script = script;
    this.login = login;
    Thread acceptor = new Thread(this::accept, "scripted-postgres");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  int port() {
    return listener.getLocalPort();
  }

  /** Connections that sent a startup packet (cancel requests included). */
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
      out.write(login.reply(messages(hello.toByteArray())));
      out.flush();
      byte[] later = login.later();
      if (later.length > 0) {
        Thread.sleep(30);
        out.write(later);
        out.flush();
      }
      ByteArrayOutputStream batch = new ByteArrayOutputStream();
      String parsed = "";
      for (; ; ) {
        int type = in.read();
        if (type < 0 || type == 'X') {
          return;
        }
        byte[] body = new byte[in.readInt() - 4];
        in.readFully(body);
        List<byte[]> usual;
        String sql;
        switch (type) {
          case 'Q' -> {
            sql = new String(body, 0, Math.max(0, body.length - 1), StandardCharsets.UTF_8);
            usual = messages(answer(sql));
          }
          case 'S' -> {
            message(batch, 'Z', new byte[] {'I'});
            sql = parsed;
            usual = messages(batch.toByteArray());
            batch.reset();
          }
          default -> {
            parsed = reply(type, body, parsed, batch);
            continue;
          }
        }
        if (!script.answer(sql, usual, out)) {
          out.write(concat(usual));
          out.flush();
        }
      }
    } catch (IOException | InterruptedException e) {
      // The pooler closed the connection, or the test ended.
    }
  }

  /**
   * Adds what an extended-protocol message gets to {@code batch}; returns the batch's SQL (that of
   * a Parse, else {@code parsed}).
   */
  private static String reply(int type, byte[] body, String parsed, ByteArrayOutputStream batch) {
    switch (type) {
      case 'P' -> {
        int name = indexOf(body, 0);
        int end = indexOf(body, name + 1);
        message(batch, '1', new byte[0]);
        return new String(body, name + 1, Math.max(0, end - name - 1), StandardCharsets.UTF_8);
      }
      case 'B' -> message(batch, '2', new byte[0]);
      case 'C' -> message(batch, '3', new byte[0]);
      case 'D' -> {
        if (body.length > 0 && body[0] == 'S') {
          message(batch, 't', new byte[] {0, 0});
        }
        message(batch, 'T', rowDescription());
      }
      case 'E' -> {
        byte[] text = parsed.getBytes(StandardCharsets.UTF_8);
        message(batch, 'D', ByteBuffer.allocate(6 + text.length).putShort((short) 1).putInt(text.length).put(text).array());
        message(batch, 'C', cstrings("SELECT 1"));
      }
      default -> { } // Flush, and anything else: nothing
    }
    return parsed;
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == 0) {
        return i;
      }
    }
    return b.length;
  }

  /** Messages in one array, to be sent in one write (as PostgreSQL sends a reply). */
  static byte[] concat(List<byte[]> messages) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    messages.forEach(out::writeBytes);
    return out.toByteArray();
  }

  /** Whole messages, one an element. */
  static List<byte[]> messages(byte[] stream) {
    List<byte[]> out = new ArrayList<>();
    ByteBuffer all = ByteBuffer.wrap(stream);
    while (all.hasRemaining()) {
      byte[] m = new byte[1 + all.getInt(all.position() + 1)];
      all.get(m);
      out.add(m);
    }
    return out;
  }

  private static byte[] rowDescription() {
    ByteBuffer d = ByteBuffer.allocate(2 + 9 + 18);
    d.putShort((short) 1).put("?column?".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
    d.putInt(0).putShort((short) 0).putInt(25).putShort((short) -1).putInt(-1).putShort((short) 0);
    return d.array();
  }

  /** The default answer to {@code sql}, up to and including its ReadyForQuery (idle). */
  static byte[] answer(String sql) {
    ByteArrayOutputStream reply = new ByteArrayOutputStream();
    if (sql.regionMatches(true, 0, "SET", 0, 3) || sql.regionMatches(true, 0, "RESET", 0, 5)) {
      message(reply, 'C', cstrings(sql.split(" ")[0].toUpperCase()));
    } else {
      message(reply, 'T', rowDescription());
      byte[] text = sql.getBytes(StandardCharsets.UTF_8);
      message(reply, 'D', ByteBuffer.allocate(6 + text.length).putShort((short) 1).putInt(text.length).put(text).array());
      message(reply, 'C', cstrings("SELECT 1"));
    }
    message(reply, 'Z', new byte[] {'I'});
    return reply.toByteArray();
  }

  /** A NoticeResponse's body. */
  static byte[] notice(String text) {
    return cstrings("SNOTICE", "VNOTICE", "C00000", "M" + text, "");
  }

  static byte[] cstrings(String... strings) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (String s : strings) {
      b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
      b.write(0);
    }
    return b.toByteArray();
  }

  /** Writes a typed message with the length its body has. */
  static void message(ByteArrayOutputStream out, char type, byte[] body) {
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
