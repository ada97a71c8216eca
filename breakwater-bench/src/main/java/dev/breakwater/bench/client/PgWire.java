package dev.breakwater.bench.client;

import dev.breakwater.protocol.auth.ScramClient;
import dev.breakwater.protocol.auth.ScramKeys;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A minimal blocking PostgreSQL v3 client: log in (trust, cleartext, md5, SCRAM-SHA-256), run a
 * simple query, leave. Enough for the benchmark's burst and idle clients, and nothing more.
 *
 * <p>SCRAM: the costly PBKDF2 step (SaltedPassword, 4096 HMACs) is computed once per salt and
 * iteration count and shared by all connections of the process, so that the benchmark's own CPU
 * goes to the pooler being measured; each connection still does a full SCRAM exchange (fresh
 * nonces, proof, server signature checked).
 */
public final class PgWire implements AutoCloseable {

  /** An ErrorResponse from the server. */
  public static final class ServerError extends IOException {
    public final String sqlState;

    ServerError(String sqlState, String message) {
      super(sqlState + ": " + message);
      this.sqlState = sqlState;
    }
  }

  public record Target(String host, int port, String database, String user, String password) {}

  /**
   * TLS for every connection of this process when set (SSLRequest, then a handshake trusting any
   * certificate, as sslmode=require does). Without resumption each connection makes a full
   * handshake, as a new function instance does.
   */
  private static volatile javax.net.ssl.SSLSocketFactory tls;

  private static final java.util.concurrent.atomic.AtomicLong TLS_PEERS = new java.util.concurrent.atomic.AtomicLong();
  private static volatile boolean tlsResume;

  /** Turns TLS on for the connections that follow; {@code resume} lets them resume sessions. */
  public static void useTls(boolean resume) {
    try {
      javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
      ctx.init(null, new javax.net.ssl.TrustManager[] {new TrustAll()}, null);
      if (!resume) {
        ctx.getClientSessionContext().setSessionCacheSize(1);
      }
      tlsResume = resume;
      tls = ctx.getSocketFactory();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** sslmode=require: encrypt, verify nothing. */
  private static final class TrustAll extends javax.net.ssl.X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(java.security.cert.X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(java.security.cert.X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkClientTrusted(
        java.security.cert.X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {}

    @Override
    public void checkServerTrusted(
        java.security.cert.X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine) {}

    @Override
    public java.security.cert.X509Certificate[] getAcceptedIssuers() {
      return new java.security.cert.X509Certificate[0];
    }
  }

  private static final Map<String, ScramKeys> KEYS = new ConcurrentHashMap<>();

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Target target;

  private PgWire(Socket socket, Target target) throws IOException {
    this.socket = socket;
    this.target = target;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1024));
    this.out = socket.getOutputStream();
  }

  /** Connects and logs in; returns when the server is ready for a query. */
  public static PgWire connect(Target t, int timeoutMillis) throws IOException {
    Socket s = new Socket();
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(timeoutMillis);
      s.connect(new InetSocketAddress(t.host(), t.port()), timeoutMillis);
      javax.net.ssl.SSLSocketFactory f = tls;
      if (f != null) {
        s = startTls(s, f, t);
      }
      PgWire w = new PgWire(s, t);
      w.login();
      return w;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  private static Socket startTls(Socket s, javax.net.ssl.SSLSocketFactory f, Target t) throws IOException {
    OutputStream o = s.getOutputStream();
    o.write(new byte[] {0, 0, 0, 8, 0x04, (byte) 0xd2, 0x16, 0x2f});
    o.flush();
    int answer = s.getInputStream().read();
    if (answer != 'S') {
      throw new IOException("the server refused TLS (answer " + answer + ")");
    }
    // A peer name of its own per connection unless resuming: no cached session is offered.
    String peer = tlsResume ? t.host() : "c" + TLS_PEERS.incrementAndGet() + ".invalid";
    javax.net.ssl.SSLSocket ssl = (javax.net.ssl.SSLSocket) f.createSocket(s, peer, t.port(), true);
    ssl.startHandshake();
    return ssl;
  }

  private void login() throws IOException {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("user", target.user());
    params.put("database", target.database());
    params.put("application_name", "breakwater-bench");
    ByteBuffer b = ByteBuffer.allocate(512);
    b.putInt(0).putInt(3 << 16);
    for (Map.Entry<String, String> e : params.entrySet()) {
      cstring(b, e.getKey());
      cstring(b, e.getValue());
    }
    b.put((byte) 0);
    b.putInt(0, b.position());
    out.write(b.array(), 0, b.position());
    out.flush();
    ScramClient scram = null;
    while (true) {
      byte type = in.readByte();
      int len = in.readInt() - 4;
      byte[] body = new byte[len];
      in.readFully(body);
      switch (type) {
        case 'R' -> {
          ByteBuffer r = ByteBuffer.wrap(body);
          int code = r.getInt();
          switch (code) {
            case 0 -> {}
            case 3 -> sendPassword(target.password().getBytes(StandardCharsets.UTF_8));
            case 5 -> sendPassword(md5(Arrays.copyOfRange(body, 4, 8)));
            case 10 -> {
              scram = ScramClient.withPassword(
                  secret ->
                      KEYS.computeIfAbsent(
                          secret.iterations() + ":" + HexFormat.of().formatHex(secret.salt()) + ":" + target.password(),
                          k -> ScramKeys.derive(target.password(), secret.salt(), secret.iterations())));
              byte[] first = scram.clientFirst();
              byte[] mech = ScramClient.MECHANISM.getBytes(StandardCharsets.UTF_8);
              ByteBuffer m = ByteBuffer.allocate(mech.length + 1 + 4 + first.length);
              m.put(mech).put((byte) 0).putInt(first.length).put(first);
              message('p', m.array());
            }
            case 11 -> message('p', scram.onServerFirst(Arrays.copyOfRange(body, 4, body.length)));
            case 12 -> scram.onServerFinal(Arrays.copyOfRange(body, 4, body.length));
            default -> throw new IOException("unsupported authentication request " + code);
          }
        }
        case 'E' -> throw error(body);
        case 'Z' -> {
          return;
        }
        default -> {} // ParameterStatus, BackendKeyData, NoticeResponse
      }
    }
  }

  /**
   * Sends a simple query and reads its replies to ReadyForQuery.
   *
   * @return nanoTime when the first DataRow arrived (or the reply ended, with no rows)
   */
  public long query(String sql) throws IOException {
    byte[] q = (sql + "\0").getBytes(StandardCharsets.UTF_8);
    message('Q', q);
    long firstRow = 0;
    IOException error = null;
    while (true) {
      byte type = in.readByte();
      int len = in.readInt() - 4;
      byte[] body = new byte[len];
      in.readFully(body);
      if (type == 'D' && firstRow == 0) {
        firstRow = System.nanoTime();
      } else if (type == 'E') {
        error = error(body);
      } else if (type == 'Z') {
        if (error != null) {
          throw error;
        }
        return firstRow != 0 ? firstRow : System.nanoTime();
      }
    }
  }

  /** The socket under this connection, for a client that misbehaves on purpose (HostileClients). */
  public Socket socket() {
    return socket;
  }

  /** Sends Terminate and closes the socket. */
  @Override
  public void close() {
    try {
      out.write(new byte[] {'X', 0, 0, 0, 4});
      out.flush();
    } catch (IOException e) {
      // closing anyway
    }
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  /** True when the server closed the connection (read returns end of stream at once). */
  public boolean isClosedByServer() {
    try {
      socket.setSoTimeout(1);
      return in.read() < 0;
    } catch (java.net.SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private void sendPassword(byte[] password) throws IOException {
    byte[] body = Arrays.copyOf(password, password.length + 1);
    message('p', body);
  }

  private byte[] md5(byte[] salt) {
    try {
      MessageDigest md = MessageDigest.getInstance("MD5");
      md.update(target.password().getBytes(StandardCharsets.UTF_8));
      md.update(target.user().getBytes(StandardCharsets.UTF_8));
      String inner = HexFormat.of().formatHex(md.digest());
      md.reset();
      md.update(inner.getBytes(StandardCharsets.US_ASCII));
      md.update(salt);
      return ("md5" + HexFormat.of().formatHex(md.digest())).getBytes(StandardCharsets.US_ASCII);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private void message(char type, byte[] body) throws IOException {
    byte[] m = new byte[5 + body.length];
    m[0] = (byte) type;
    ByteBuffer.wrap(m, 1, 4).putInt(4 + body.length);
    System.arraycopy(body, 0, m, 5, body.length);
    out.write(m);
    out.flush();
  }

  private static ServerError error(byte[] body) {
    String code = "?";
    String message = "?";
    int i = 0;
    while (i < body.length && body[i] != 0) {
      byte field = body[i++];
      int end = i;
      while (end < body.length && body[end] != 0) {
        end++;
      }
      String v = new String(body, i, end - i, StandardCharsets.UTF_8);
      if (field == 'C') {
        code = v;
      } else if (field == 'M') {
        message = v;
      }
      i = end + 1;
    }
    return new ServerError(code, message);
  }

  private static void cstring(ByteBuffer b, String s) {
    b.put(s.getBytes(StandardCharsets.UTF_8)).put((byte) 0);
  }
}
