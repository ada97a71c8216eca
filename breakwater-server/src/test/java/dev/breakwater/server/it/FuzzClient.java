package dev.breakwater.server.it;

import dev.breakwater.server.it.FuzzStep.Failure;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * One raw protocol client of a fuzz run and the model of what it should see: its settings (a set
 * of acceptable values each, one value when the pooler can know it), temp tables, advisory locks,
 * SQL-level and protocol-level prepared statements, LISTEN channels, transaction state and the
 * writes of its open transaction. A client that disconnects comes back as a new generation with
 * a fresh model and a fresh tag.
 */
final class FuzzClient implements AutoCloseable {

  enum Tx { IDLE, IN, FAILED }

  /** The transactional part of the model: rolled back with the transaction or a savepoint. */
  static final class Session {
    final Map<String, Set<String>> settings = new HashMap<>();
    final Set<String> temps = new LinkedHashSet<>();
    /** Temp tables the pooler cannot see or that may or may not exist: allowed, not required. */
    final Set<String> maybeTemps = new LinkedHashSet<>();
    final List<Integer> writes = new ArrayList<>();

    Session copy() {
      Session s = new Session();
      settings.forEach((k, v) -> s.settings.put(k, new LinkedHashSet<>(v)));
      s.temps.addAll(temps);
      s.maybeTemps.addAll(maybeTemps);
      s.writes.addAll(writes);
      return s;
    }
  }

  /** A savepoint: what ROLLBACK TO brings back, transaction-level advisory locks included. */
  record Savepoint(String name, Session session, Map<String, Set<String>> local, Set<Long> xactLocks) {}

  final int index;
  final String runTag;
  final int waitMillis;
  private final int port;
  private final Function<String, String> defaults;
  private final Runnable onNotificationCheck;
  int generation = -1;
  String tag;
  PgWire wire;
  int pid;
  int key;

  // The model
  Tx tx;
  boolean pinned;
  Session committed;
  Session current;
  Map<String, Set<String>> local;
  Deque<Savepoint> savepoints;
  Set<Long> locks;
  Set<Long> xactLocks;
  Set<String> prepared;
  Map<String, String> named;
  Set<String> channels;
  int counter;
  final List<String> notifications = new ArrayList<>();
  String lastFailure;

  FuzzClient(int index, String runTag, int port, int waitMillis, Function<String, String> defaults) {
    this.index = index;
    this.runTag = runTag;
    this.port = port;
    this.waitMillis = waitMillis;
    this.defaults = defaults;
    this.onNotificationCheck = () -> {};
  }

  /** Connects as a new generation, with a fresh model. */
  void connect() throws IOException {
    generation++;
    tag = runTag + "c" + index + "g" + generation;
    tx = Tx.IDLE;
    pinned = false;
    committed = new Session();
    current = new Session();
    local = new HashMap<>();
    savepoints = new ArrayDeque<>();
    locks = new LinkedHashSet<>();
    xactLocks = new LinkedHashSet<>();
    prepared = new LinkedHashSet<>();
    named = new LinkedHashMap<>();
    channels = new LinkedHashSet<>();
    counter = 0;
    wire = new PgWire(port);
    wire.timeout(waitMillis);
    wire.send(PgWire.startup("user", Roles.TRUST, "database", Roles.DATABASE, "application_name", tag));
    for (; ; ) {
      PgWire.Message m = read("login");
      switch (m.type()) {
        case 'R' -> {
          if (m.int32(0) != 0) {
            throw new Failure("LOGIN", who() + " asked for auth " + m.int32(0) + " under trust");
          }
        }
        case 'K' -> {
          pid = m.int32(0);
          key = m.int32(4);
        }
        case 'E' -> throw new Failure("LOGIN", who() + " login failed: " + m);
        case 'Z' -> {
          return;
        }
        default -> {}
      }
    }
  }

  String who() {
    return "client " + index + " (" + tag + ")";
  }

  /** True while this client keeps a server between steps (open transaction or a pin). */
  boolean holds() {
    return tx != Tx.IDLE || pinned;
  }

  // ---- The wire ----

  void send(byte[]... parts) throws IOException {
    wire.send(parts);
  }

  /**
   * The next message that is not a notice, parameter status or notification (notifications are
   * checked against the channels this client listened to). A wait over the bound and a close by
   * the pooler are failures.
   */
  PgWire.Message read(String waitingFor) throws IOException {
    for (; ; ) {
      PgWire.Message m;
      try {
        m = wire.read();
      } catch (InterruptedIOException e) {
        throw new Failure("LIVENESS", who() + " waited over " + waitMillis + " ms for " + waitingFor);
      }
      if (m == null) {
        throw new Failure("CLOSED", who() + " was disconnected by the pooler while waiting for " + waitingFor);
      }
      switch (m.type()) {
        case 'N', 'S' -> {}
        case 'A' -> notification(m);
        default -> {
          return m;
        }
      }
    }
  }

  private void notification(PgWire.Message m) {
    byte[] b = m.body();
    int i = 4;
    int end = i;
    while (b[end] != 0) {
      end++;
    }
    String channel = new String(b, i, end - i, StandardCharsets.UTF_8);
    int pend = end + 1;
    while (b[pend] != 0) {
      pend++;
    }
    String payload = new String(b, end + 1, pend - end - 1, StandardCharsets.UTF_8);
    notifications.add(channel);
    if (!channels.contains(channel)) {
      throw new Failure(
          "LEAKED_NOTIFICATION",
          who() + " got a notification on channel " + channel + " (payload '" + payload
              + "') it never listened to; it listens to " + channels);
    }
  }

  /** Every message up to and including ReadyForQuery, whose status must match the model's. */
  List<PgWire.Message> untilReady(String what) throws IOException {
    List<PgWire.Message> got = new ArrayList<>();
    for (; ; ) {
      PgWire.Message m = read("the replies to " + what + " (got " + types(got) + ")");
      got.add(m);
      if (m.type() == 'Z') {
        return got;
      }
    }
  }

  /** Messages up to the first of {@code types} (included), for batches not ended by a Sync. */
  List<PgWire.Message> until(String what, String types) throws IOException {
    List<PgWire.Message> got = new ArrayList<>();
    for (; ; ) {
      PgWire.Message m = read("the replies to " + what + " (got " + types(got) + ")");
      got.add(m);
      if (types.indexOf(m.type()) >= 0) {
        return got;
      }
    }
  }

  static String types(List<PgWire.Message> got) {
    StringBuilder b = new StringBuilder();
    for (PgWire.Message m : got) {
      b.append(m.type());
    }
    return b.toString();
  }

  /** The first ErrorResponse among the replies, or null. */
  static PgWire.Message error(List<PgWire.Message> got) {
    for (PgWire.Message m : got) {
      if (m.type() == 'E') {
        return m;
      }
    }
    return null;
  }

  /** The transaction status ReadyForQuery reported last. */
  static char status(List<PgWire.Message> got) {
    PgWire.Message z = got.get(got.size() - 1);
    return z.type() == 'Z' ? (char) z.body()[0] : '?';
  }

  char expectedStatus() {
    return switch (tx) {
      case IDLE -> 'I';
      case IN -> 'T';
      case FAILED -> 'E';
    };
  }

  /** Fails unless the replies had no error and ended in the model's transaction status. */
  void expectOk(List<PgWire.Message> got, String what) {
    PgWire.Message e = error(got);
    if (e != null) {
      throw new Failure("UNEXPECTED_ERROR", who() + " got " + e + " for " + what + " (replies " + types(got) + ")");
    }
    expectStatus(got, what);
  }

  void expectStatus(List<PgWire.Message> got, String what) {
    char s = status(got);
    if (s != expectedStatus()) {
      throw new Failure(
          "TRANSACTION_STATUS",
          who() + " expected ReadyForQuery '" + expectedStatus() + "' after " + what + " but got '" + s
              + "' (replies " + types(got) + ")");
    }
  }

  /** Fails unless the replies hold an error with this SQLSTATE (any when null). */
  void expectError(List<PgWire.Message> got, String sqlState, String what) {
    PgWire.Message e = error(got);
    if (e == null || (sqlState != null && !sqlState.equals(e.sqlState()))) {
      throw new Failure(
          "MISSING_ERROR",
          who() + " expected error " + sqlState + " for " + what + " but got " + (e == null ? types(got) : e));
    }
  }

  /** Text of column {@code col} of each DataRow in the replies (null for SQL NULL). */
  static List<List<String>> rows(List<PgWire.Message> got) {
    List<List<String>> out = new ArrayList<>();
    for (PgWire.Message m : got) {
      if (m.type() != 'D') {
        continue;
      }
      byte[] b = m.body();
      int n = ((b[0] & 0xff) << 8) | (b[1] & 0xff);
      int at = 2;
      List<String> row = new ArrayList<>();
      for (int c = 0; c < n; c++) {
        int len = ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
        at += 4;
        if (len < 0) {
          row.add(null);
        } else {
          row.add(new String(b, at, len, StandardCharsets.UTF_8));
          at += len;
        }
      }
      out.add(row);
    }
    return out;
  }

  /** Sends a CancelRequest with this client's key on a socket of its own. */
  void cancel() throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.getOutputStream().write(PgWire.untyped(80877102, PgWire.concat(PgWire.int32(pid), PgWire.int32(key))));
      s.getOutputStream().flush();
      s.setSoTimeout(waitMillis);
      // The pooler closes a cancel connection once it has handled it.
      try {
        s.getInputStream().read();
      } catch (IOException e) {
        // closed or reset: done either way
      }
    }
  }

  // ---- The model ----

  /** The values a setting may show now. */
  Set<String> visible(String guc) {
    Set<String> v = local.get(guc);
    if (v == null) {
      v = current.settings.get(guc);
    }
    return v == null ? Set.of(defaults.apply(guc)) : v;
  }

  /** A SET the pooler can see (session level). */
  void setTracked(String guc, String value) {
    local.remove(guc);
    current.settings.put(guc, new LinkedHashSet<>(Set.of(value)));
  }

  /**
   * A SET the pooler cannot see: the session value it knew or the new one may show. Not a SET
   * LOCAL's value: the SET replaces it, and the pooler, when it cannot read the setting back (a
   * placeholder such as fuzz.owner, which pg_settings does not list), gives the client the session
   * value it tracked. (The model had kept the SET LOCAL's value as the old one; a 30-minute run
   * found it, seed 1219861725.)
   */
  void setUntracked(String guc, String value) {
    Set<String> known = current.settings.get(guc);
    Set<String> v = new LinkedHashSet<>(known == null ? Set.of(defaults.apply(guc)) : known);
    v.add(value);
    local.remove(guc);
    current.settings.put(guc, v);
  }

  void setLocal(String guc, String value) {
    local.put(guc, new LinkedHashSet<>(Set.of(value)));
  }

  void resetAll() {
    local.clear();
    current.settings.clear();
  }

  void begin() {
    tx = Tx.IN;
    committed = current.copy();
    savepoints.clear();
  }

  /** The transaction ended by COMMIT (true) or ROLLBACK; returns the writes it made durable. */
  List<Integer> end(boolean commit) {
    List<Integer> writes = new ArrayList<>(current.writes);
    if (commit) {
      current.writes.clear();
    } else {
      current = committed;
    }
    committed = current.copy();
    local.clear();
    xactLocks.clear();
    savepoints.clear();
    tx = Tx.IDLE;
    return writes;
  }

  void savepoint(String name) {
    Map<String, Set<String>> l = new HashMap<>();
    local.forEach((k, v) -> l.put(k, new LinkedHashSet<>(v)));
    savepoints.push(new Savepoint(name, current.copy(), l, new LinkedHashSet<>(xactLocks)));
  }

  /** Rolls back to the newest savepoint (kept); returns the writes it undid. */
  List<Integer> rollbackToSavepoint() {
    Savepoint sp = savepoints.peek();
    List<Integer> undone = new ArrayList<>(current.writes.subList(sp.session().writes.size(), current.writes.size()));
    current = sp.session().copy();
    local = new HashMap<>();
    sp.local().forEach((k, v) -> local.put(k, new LinkedHashSet<>(v)));
    // PostgreSQL releases the transaction-level advisory locks taken since the savepoint (session
    // ones stay). The model had kept them; a 30-minute run found it, seed 3012582230.
    xactLocks = new LinkedHashSet<>(sp.xactLocks());
    tx = Tx.IN;
    return undone;
  }

  Set<String> allTemps() {
    Set<String> s = new HashSet<>(current.temps);
    return s;
  }

  @Override
  public void close() throws IOException {
    if (wire != null) {
      wire.close();
      wire = null;
    }
  }
}
