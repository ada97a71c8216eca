package dev.breakwater.bench.client;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The hostile half of {@code bench/soak}: for {@code --seconds}, {@code --threads} threads each
 * run, one after another, a client chosen among the kinds below, and record how the pooler
 * answered it: an ErrorResponse (with its SQLSTATE), a close, or nothing within {@code
 * --answer-ms} (a hang: what must not happen).
 *
 * <ul>
 *   <li>{@code oversized}: a Query declaring 60 MiB after login, a few bytes of it, then waits;
 *   <li>{@code slowloris}: a startup packet one byte every 200 ms;
 *   <li>{@code wrong_password}: a login with a wrong password;
 *   <li>{@code unknown_database}: a login to a database that does not exist;
 *   <li>{@code deaf_listener}: LISTEN, then never reads while another connection NOTIFYs 8 KB
 *       payloads in a loop (the pooler must bound what it keeps for it);
 *   <li>{@code malformed}: after login, a message of an unknown type;
 *   <li>{@code cut}: after login, half a Parse message, then the socket closes.
 * </ul>
 *
 * Prints one line per kind: {@code kind=K runs=N error=E closed=C hang=H states=...}.
 */
public final class HostileClients {

  private static final String[] KINDS = {
    "oversized", "slowloris", "wrong_password", "unknown_database", "deaf_listener", "malformed", "cut"
  };

  private static final Map<String, Map<String, Integer>> outcomes = new TreeMap<>();

  private static void record(String kind, String outcome) {
    synchronized (outcomes) {
      outcomes.computeIfAbsent(kind, k -> new TreeMap<>()).merge(outcome, 1, Integer::sum);
    }
  }

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    PgWire.Target target = args.target();
    int threads = args.getInt("threads", 8);
    long until = System.nanoTime() + args.getInt("seconds", 60) * 1_000_000_000L;
    int answerMs = args.getInt("answer-ms", 20_000);
    AtomicBoolean stop = new AtomicBoolean();
    Thread[] workers = new Thread[threads];
    for (int i = 0; i < threads; i++) {
      int n = i;
      workers[i] = new Thread(() -> {
        int k = n;
        while (System.nanoTime() < until && !stop.get()) {
          String kind = KINDS[k++ % KINDS.length];
          try {
            record(kind, run(kind, target, answerMs));
          } catch (IOException | RuntimeException e) {
            record(kind, "client_error " + e.getClass().getSimpleName());
          }
        }
      }, "hostile-" + i);
      workers[i].start();
    }
    for (Thread t : workers) {
      t.join();
    }
    synchronized (outcomes) {
      for (Map.Entry<String, Map<String, Integer>> e : outcomes.entrySet()) {
        int runs = e.getValue().values().stream().mapToInt(Integer::intValue).sum();
        int hang = e.getValue().getOrDefault("hang", 0);
        System.out.printf("kind=%s runs=%d hang=%d outcomes=%s%n", e.getKey(), runs, hang, e.getValue());
      }
    }
  }

  private static String run(String kind, PgWire.Target t, int answerMs) throws IOException {
    switch (kind) {
      case "wrong_password":
        return login(new PgWire.Target(t.host(), t.port(), t.database(), t.user(), "wrong-" + t.password()), answerMs);
      case "unknown_database":
        return login(new PgWire.Target(t.host(), t.port(), "no_such_db_" + ThreadLocalRandom.current().nextInt(1000),
            t.user(), t.password()), answerMs);
      case "slowloris":
        return slowloris(t, answerMs);
      case "deaf_listener":
        return deafListener(t, answerMs);
      default:
        return afterLogin(kind, t, answerMs);
    }
  }

  private static String login(PgWire.Target t, int answerMs) {
    try (PgWire w = PgWire.connect(t, answerMs)) {
      return "logged_in";
    } catch (PgWire.ServerError e) {
      return "error " + e.sqlState;
    } catch (SocketTimeoutException e) {
      return "hang";
    } catch (IOException e) {
      return "closed";
    }
  }

  /** What the pooler sends until it closes, or "hang" when it neither answers nor closes. */
  private static String answer(Socket s, int answerMs) throws IOException {
    s.setSoTimeout(answerMs);
    DataInputStream in = new DataInputStream(s.getInputStream());
    try {
      while (true) {
        byte type = in.readByte();
        int len = in.readInt() - 4;
        byte[] body = new byte[Math.max(0, Math.min(len, 1 << 20))];
        in.readFully(body);
        if (len > body.length) {
          in.skipNBytes(len - body.length);
        }
        if (type == 'E') {
          return "error " + field(body, 'C');
        }
      }
    } catch (SocketTimeoutException e) {
      return "hang";
    } catch (EOFException e) {
      return "closed";
    } catch (IOException e) {
      return "closed";
    }
  }

  private static String field(byte[] body, char code) {
    int i = 0;
    while (i < body.length && body[i] != 0) {
      byte f = body[i++];
      int end = i;
      while (end < body.length && body[end] != 0) {
        end++;
      }
      if (f == code) {
        return new String(body, i, end - i, StandardCharsets.UTF_8);
      }
      i = end + 1;
    }
    return "?";
  }

  private static String afterLogin(String kind, PgWire.Target t, int answerMs) throws IOException {
    try (PgWire w = PgWire.connect(t, answerMs)) {
      Socket s = w.socket();
      OutputStream out = s.getOutputStream();
      switch (kind) {
        case "oversized" -> {
          ByteBuffer b = ByteBuffer.allocate(5 + 16);
          b.put((byte) 'Q').putInt(60 << 20).put("SELECT 'xxxxxxx".getBytes(StandardCharsets.US_ASCII));
          out.write(b.array(), 0, b.position());
          out.flush();
          // Then nothing: the pooler must not hold 60 MiB for it, and must not wait for ever.
          String a = answer(s, answerMs);
          return a.equals("hang") ? "held_open" : a;
        }
        case "malformed" -> {
          out.write(new byte[] {'@', 0, 0, 0, 8, 1, 2, 3, 4});
          out.flush();
          return answer(s, answerMs);
        }
        default -> { // cut
          out.write(new byte[] {'P', 0, 0, 0, 100, 0, 'S', 'E', 'L'});
          out.flush();
          return "cut";
        }
      }
    } catch (PgWire.ServerError e) {
      return "login_error " + e.sqlState;
    }
  }

  private static String slowloris(PgWire.Target t, int answerMs) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(t.host(), t.port()), answerMs);
      byte[] startup = startupPacket(t);
      OutputStream out = s.getOutputStream();
      s.setSoTimeout(200);
      long deadline = System.nanoTime() + answerMs * 1_000_000L;
      for (byte b : startup) {
        try {
          out.write(b);
          out.flush();
        } catch (IOException e) {
          return "closed";
        }
        try {
          if (s.getInputStream().read() < 0) {
            return "closed";
          }
          return answer(s, answerMs);
        } catch (SocketTimeoutException e) {
          // nothing yet: the next byte
        } catch (IOException e) {
          return "closed";
        }
        if (System.nanoTime() > deadline) {
          return "hang";
        }
      }
      return "completed";
    }
  }

  private static byte[] startupPacket(PgWire.Target t) {
    byte[] body = ("user\0" + t.user() + "\0database\0" + t.database() + "\0\0").getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + body.length);
    b.putInt(8 + body.length).putInt(3 << 16).put(body);
    return b.array();
  }

  private static String deafListener(PgWire.Target t, int answerMs) throws IOException {
    String channel = "deaf_" + Thread.currentThread().getName().replace('-', '_');
    try (PgWire listener = PgWire.connect(t, answerMs); PgWire notifier = PgWire.connect(t, answerMs)) {
      listener.query("LISTEN " + channel);
      String payload = "x".repeat(7900);
      long deadline = System.nanoTime() + 10_000_000_000L;
      try {
        while (System.nanoTime() < deadline) {
          notifier.query("SELECT pg_notify('" + channel + "', '" + payload + "')");
        }
      } catch (PgWire.ServerError e) {
        return "notifier_error " + e.sqlState;
      }
      // Ten seconds deaf: now read what came. A pooler that bounds what it keeps has closed it
      // (with an error first); one that kept everything still has it open.
      String a = answer(listener.socket(), 3000);
      return a.equals("hang") ? "still_open" : a;
    }
  }

  private HostileClients() {}
}
