package dev.breakwater.server.it;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A raw PostgreSQL protocol client for tests that send what no driver would: builds startup and
 * typed packets byte by byte and reads one message at a time (type, length, body).
 */
final class PgWire implements AutoCloseable {

  static final int PROTOCOL_3_0 = 3 << 16;
  static final int SSL_REQUEST = 80877103;
  static final int GSSENC_REQUEST = 80877104;

  /** One backend message; {@code type} is 0 for the single-byte answer to an SSLRequest. */
  record Message(char type, int length, byte[] body) {
    /** The fields of an ErrorResponse or NoticeResponse, keyed by field code. */
    Map<Character, String> fields() {
      Map<Character, String> f = new LinkedHashMap<>();
      int i = 0;
      while (i < body.length && body[i] != 0) {
        char code = (char) body[i++];
        int end = i;
        while (end < body.length && body[end] != 0) {
          end++;
        }
        f.put(code, new String(body, i, end - i, StandardCharsets.UTF_8));
        i = end + 1;
      }
      return f;
    }

    String sqlState() {
      return fields().get('C');
    }

    String text() {
      return fields().get('M');
    }

    int int32(int at) {
      return ByteBuffer.wrap(body).getInt(at);
    }

    @Override
    public String toString() {
      return type == 'E' || type == 'N' ? type + " " + fields() : type + "(" + length + ")";
    }
  }

  private final Socket socket;
  /** Instead of {@link #socket}: a Unix socket (no read timeout). */
  private final java.nio.channels.SocketChannel unix;
  private final DataInputStream in;
  private final OutputStream out;

  PgWire(int port) throws IOException {
    socket = new Socket("127.0.0.1", port);
    socket.setSoTimeout(5000);
    socket.setTcpNoDelay(true);
    unix = null;
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Over the Unix socket at this path ({@code <unix_socket_dir>/.s.PGSQL.<port>}). */
  PgWire(java.nio.file.Path unixSocket) throws IOException {
    socket = null;
    unix = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
    unix.connect(java.net.UnixDomainSocketAddress.of(unixSocket));
    in = new DataInputStream(java.nio.channels.Channels.newInputStream(unix));
    out = java.nio.channels.Channels.newOutputStream(unix);
  }

  /** The socket read timeout: how long {@link #read} waits before throwing (TCP only). */
  PgWire timeout(int millis) throws IOException {
    if (socket != null) {
      socket.setSoTimeout(millis);
    }
    return this;
  }

  // ---- Building packets ----

  /** A StartupMessage with the given version and name/value pairs, terminated properly. */
  static byte[] startup(int version, String... nameValues) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (String s : nameValues) {
      cstring(body, s);
    }
    body.write(0);
    return untyped(version, body.toByteArray());
  }

  static byte[] startup(String... nameValues) {
    return startup(PROTOCOL_3_0, nameValues);
  }

  /** An untyped packet: length, a 4-byte code, then {@code rest} as is. */
  static byte[] untyped(int code, byte[] rest) {
    ByteBuffer b = ByteBuffer.allocate(8 + rest.length);
    b.putInt(8 + rest.length).putInt(code).put(rest);
    return b.array();
  }

  /** A typed message with a correct length. */
  static byte[] typed(char type, byte[] body) {
    ByteBuffer b = ByteBuffer.allocate(5 + body.length);
    b.put((byte) type).putInt(4 + body.length).put(body);
    return b.array();
  }

  static byte[] query(String sql) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    cstring(body, sql);
    return typed('Q', body.toByteArray());
  }

  /** Extended protocol, unnamed statement and portal, no parameters, text results. */
  static byte[] parse(String sql) {
    return typed('P', concat(cstrings("", sql), new byte[] {0, 0}));
  }

  static byte[] bind() {
    return typed('B', concat(cstrings("", ""), new byte[] {0, 0, 0, 0, 0, 0}));
  }

  static byte[] execute() {
    return typed('E', concat(cstrings(""), int32(0)));
  }

  static byte[] sync() {
    return typed('S', new byte[0]);
  }

  static byte[] flush() {
    return typed('H', new byte[0]);
  }

  static byte[] password(String pw) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    cstring(body, pw);
    return typed('p', body.toByteArray());
  }

  static byte[] int32(int v) {
    return ByteBuffer.allocate(4).putInt(v).array();
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  static byte[] cstrings(String... strings) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (String s : strings) {
      cstring(b, s);
    }
    return b.toByteArray();
  }

  private static void cstring(ByteArrayOutputStream b, String s) {
    b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
    b.write(0);
  }

  // ---- Talking ----

  PgWire send(byte[]... parts) throws IOException {
    for (byte[] p : parts) {
      out.write(p);
    }
    out.flush();
    return this;
  }

  /** The single byte answering an SSLRequest or GSSENCRequest, or -1 at end of stream. */
  int readByte() throws IOException {
    return in.read();
  }

  /** The next typed message, or null when the pooler closed the connection (EOF or reset). */
  Message read() throws IOException {
    try {
      int type = in.read();
      if (type < 0) {
        return null;
      }
      int length = in.readInt();
      if (length < 4 || length > 1 << 24) {
        throw new IOException("bad length " + length + " for message type " + (char) type);
      }
      byte[] body = new byte[length - 4];
      in.readFully(body);
      return new Message((char) type, length, body);
    } catch (EOFException e) {
      return null;
    } catch (SocketException e) {
      // A reset: the pooler closed while our bytes were unread. Still a close.
      return null;
    }
  }

  /** Reads until a message of this type (returned), an error (returned), or a close (null). */
  Message readUntil(char type) throws IOException {
    for (; ; ) {
      Message m = read();
      if (m == null || m.type() == type || m.type() == 'E') {
        return m;
      }
    }
  }

  /**
   * What the pooler answers to garbage: the first ErrorResponse (null when it closed without one),
   * after checking that the connection is closed afterwards.
   */
  Message errorThenClose() throws IOException {
    Message error = null;
    for (; ; ) {
      Message m = read();
      if (m == null) {
        return error;
      }
      if (m.type() == 'E' && error == null) {
        error = m;
      }
    }
  }

  /**
   * Logs in with a StartupMessage as {@code user} (and {@code settings}, name and value pairs),
   * answering a cleartext or trust login, and reads up to the first ReadyForQuery.
   */
  PgWire login(String database, String user, String password, String... settings) throws IOException {
    String[] nameValues = new String[4 + settings.length];
    nameValues[0] = "user";
    nameValues[1] = user;
    nameValues[2] = "database";
    nameValues[3] = database;
    System.arraycopy(settings, 0, nameValues, 4, settings.length);
    send(startup(nameValues));
    for (; ; ) {
      Message m = read();
      if (m == null) {
        throw new IOException("closed during login");
      }
      switch (m.type()) {
        case 'R':
          int code = m.int32(0);
          if (code == 3) {
            send(password(password));
          } else if (code != 0) {
            throw new IOException("unsupported auth request " + code);
          }
          break;
        case 'E':
          throw new IOException("login failed: " + m);
        case 'Z':
          return this;
        default:
          break;
      }
    }
  }

  @Override
  public void close() throws IOException {
    if (socket != null) {
      socket.close();
    } else {
      unix.close();
    }
  }
}
