package dev.breakwater.server.it;

import dev.breakwater.server.it.FuzzClient.Tx;
import dev.breakwater.server.it.FuzzStep.Failure;
import dev.breakwater.server.it.FuzzStep.Kind;
import dev.breakwater.server.it.FuzzStep.Shape;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One fuzz run: a fresh Breakwater (transaction mode, trust) in front of the shared PostgreSQL,
 * a few raw clients, and a list of steps, either given (replay, shrinking) or drawn from a seeded
 * random source as the run goes (the generator sees the model, so that it draws steps that fit).
 * After every step the writes are checked straight against PostgreSQL; at the end every client
 * leaves, the servers must come back idle and clean, and Netty must report no leaked buffer.
 */
final class FuzzRun implements AutoCloseable {

  static final String[] GUCS = {"fuzz.owner", "work_mem", "search_path"};
  private static final AtomicInteger RUNS = new AtomicInteger();
  private static final String JVM_TAG = Long.toString((System.currentTimeMillis() & 0xffffff) + 36 * 36 * 36, 36);
  private static Map<String, String> defaults;

  record Result(List<FuzzStep> steps, Failure failure, int failedAt) {}

  final Shape shape;
  final int waitMillis;
  final Set<String> excluded;
  final String runTag;
  final Pooler pooler;
  final List<FuzzClient> clients = new ArrayList<>();
  final Connection db;
  /** Who made a value, lock key, temp table or channel: for messages that name the other client. */
  final Map<String, String> owners = new HashMap<>();
  /** "tag:seq" of writes the pooler acknowledged, and of writes that must never be committed, with why. */
  final Set<String> acked = new LinkedHashSet<>();
  final Map<String, String> forbidden = new LinkedHashMap<>();
  /** Writes whose client left while they ran: committed or not, as with PostgreSQL alone. */
  final Set<String> unknown = new LinkedHashSet<>();
  int unique;
  int stepNo;
  private final LogCapture leaks = new LogCapture(ResourceLeakDetector.class);
  private final FuzzActions actions;

  FuzzRun(Shape shape, int waitMillis, Set<String> excluded) throws Exception {
    this.shape = shape;
    this.waitMillis = waitMillis;
    this.excluded = excluded;
    this.runTag = "r" + JVM_TAG + "t" + RUNS.incrementAndGet();
    setUpDatabase();
    this.db = TestPostgres.shared().connect(Roles.DATABASE, "postgres", null);
    this.pooler =
        Pooler.builder().set("auth_type", "trust").poolSize(shape.poolSize()).threads(shape.threads()).start();
    this.actions = new FuzzActions(this);
    try {
      for (int i = 0; i < shape.clients(); i++) {
        FuzzClient c = new FuzzClient(i, runTag, pooler.port(), waitMillis, g -> defaults.get(g));
        clients.add(c);
        c.connect();
      }
    } catch (Failure | IOException e) {
      close();
      throw e;
    }
  }

  /** The table of writes and the function that sets a setting where the pooler cannot see it. */
  static synchronized void setUpDatabase() throws SQLException {
    if (defaults != null) {
      return;
    }
    TestPostgres pg = TestPostgres.shared();
    try (Connection c = pg.connect(Roles.DATABASE, "postgres", null);
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS fuzz_writes (client text NOT NULL, seq int NOT NULL)");
      s.execute("GRANT ALL ON fuzz_writes TO PUBLIC");
      s.execute(
          "CREATE OR REPLACE FUNCTION fuzz_apply(name text, value text) RETURNS text LANGUAGE sql"
              + " AS $$ SELECT pg_catalog.set_config(name, value, false) $$");
      s.execute("GRANT EXECUTE ON FUNCTION fuzz_apply(text, text) TO PUBLIC");
    }
    Map<String, String> d = new HashMap<>();
    try (Connection c = pg.connect(Roles.DATABASE, Roles.TRUST, Roles.password(Roles.TRUST));
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT coalesce(current_setting('fuzz.owner', true), ''),"
                    + " (SELECT setting FROM pg_settings WHERE name = 'work_mem'), current_setting('search_path')")) {
      rs.next();
      d.put("fuzz.owner", rs.getString(1));
      d.put("work_mem", rs.getString(2));
      d.put("search_path", rs.getString(3));
    }
    defaults = d;
  }

  // ---- Running ----

  /**
   * Runs {@code given} (skipping steps that do not fit), or when it is null draws up to
   * {@code maxSteps} steps from {@code random} until {@code deadline} (System.nanoTime).
   */
  Result run(List<FuzzStep> given, Random random, int maxSteps, long deadline) {
    List<FuzzStep> done = new ArrayList<>();
    int n = given != null ? given.size() : maxSteps;
    for (int i = 0; i < n; i++) {
      if (given == null && System.nanoTime() > deadline) {
        break;
      }
      FuzzStep step = given != null ? given.get(i) : draw(random);
      if (step == null || !fits(step)) {
        continue;
      }
      done.add(step);
      stepNo = done.size();
      try {
        actions.perform(step);
        checkWrites();
      } catch (Failure f) {
        return new Result(done, located(f, step), done.size());
      } catch (IOException | SQLException e) {
        return new Result(done, located(new Failure("IO", clients.get(step.client()).who() + ": " + e), step), done.size());
      }
    }
    try {
      finish();
    } catch (Failure f) {
      return new Result(done, located(f, null), done.size() + 1);
    } catch (IOException | SQLException | InterruptedException e) {
      return new Result(done, located(new Failure("IO", "at the end: " + e), null), done.size() + 1);
    }
    return new Result(done, null, -1);
  }

  private Failure located(Failure f, FuzzStep step) {
    String where = step == null ? "after the last step, once every client left" : "at step " + stepNo + " (" + step + ")";
    return new Failure(f.category, where + ": " + f.getMessage().substring(f.category.length() + 2));
  }

  /** Clients that keep a server between steps. */
  int holders() {
    int h = 0;
    for (FuzzClient c : clients) {
      if (c.holds()) {
        h++;
      }
    }
    return h;
  }

  /** A client can be given work without waiting forever for a server another client holds. */
  boolean canRun(FuzzClient c) {
    return c.holds() || holders() < shape.poolSize();
  }

  /** Whether a step makes sense in the state the model is in; if not, it is skipped. */
  boolean fits(FuzzStep s) {
    if (s.client() < 0 || s.client() >= clients.size() || excluded.contains(s.kind().name())
        || excluded.contains(s.kind() + "/" + FuzzActions.variant(s))) {
      return false;
    }
    FuzzClient c = clients.get(s.client());
    boolean needsServer = s.kind() != Kind.DISC_CLEAN && s.kind() != Kind.DISC_HALF_MESSAGE;
    if (needsServer && !canRun(c)) {
      return false;
    }
    Tx tx = c.tx;
    return switch (s.kind()) {
      case DISC_CLEAN, DISC_EXT_FLUSH, DISC_HALF_MESSAGE, DISC_MID_COPY_IN, DISC_MID_COPY_OUT, DISC_MID_QUERY -> true;
      case COMMIT, ROLLBACK -> tx != Tx.IDLE;
      case ROLLBACK_TO -> tx != Tx.IDLE && !c.savepoints.isEmpty();
      case SAVEPOINT, ADVISORY_XACT_LOCK -> tx == Tx.IN;
      case RELEASE -> tx == Tx.IN && !c.savepoints.isEmpty();
      case X_PIPELINE, PREPARE_SQL, DISCARD_ALL, CANCEL_OWN, LISTEN, NOTIFY, BEGIN -> tx == Tx.IDLE;
      case X_NAMED_EXEC -> tx != Tx.FAILED && !c.named.isEmpty();
      case CANCEL_STRAY -> {
        FuzzClient runner = clients.get(actions.strayRunner(s));
        yield runner != c && runner.tx != Tx.FAILED && canRun(runner);
      }
      default -> tx != Tx.FAILED;
    };
  }

  private static final Map<Kind, Integer> WEIGHTS = new EnumMap<>(Kind.class);

  static {
    Object[] w = {
      Kind.Q_INSERT, 6, Kind.X_INSERT, 6, Kind.X_PIPELINE, 3, Kind.X_FLUSH_THEN_SYNC, 3,
      Kind.X_ERROR_MID_BATCH, 3, Kind.Q_MULTI_ERROR, 2, Kind.COPY_IN, 2, Kind.COPY_IN_FAIL, 1,
      Kind.COPY_OUT, 2, Kind.SETTING, 10, Kind.CHECK, 10, Kind.LISTEN, 2, Kind.NOTIFY, 3,
      Kind.ADVISORY_LOCK, 2, Kind.ADVISORY_XACT_LOCK, 1, Kind.TEMP_TABLE, 2, Kind.PREPARE_SQL, 1,
      Kind.DISCARD_ALL, 2, Kind.X_NAMED_PARSE, 2, Kind.X_NAMED_EXEC, 3, Kind.BEGIN, 5,
      Kind.SAVEPOINT, 2, Kind.ROLLBACK_TO, 2, Kind.RELEASE, 1, Kind.COMMIT, 4, Kind.ROLLBACK, 2,
      Kind.CANCEL_OWN, 1, Kind.CANCEL_STRAY, 1, Kind.DISC_CLEAN, 1, Kind.DISC_EXT_FLUSH, 3,
      Kind.DISC_HALF_MESSAGE, 1, Kind.DISC_MID_COPY_IN, 1, Kind.DISC_MID_COPY_OUT, 1, Kind.DISC_MID_QUERY, 1,
    };
    for (int i = 0; i < w.length; i += 2) {
      WEIGHTS.put((Kind) w[i], (Integer) w[i + 1]);
    }
  }

  /** A step that fits the current state, drawn with weights that favour ending what was begun. */
  private FuzzStep draw(Random r) {
    for (int attempt = 0; attempt < 100; attempt++) {
      int client = r.nextInt(clients.size());
      FuzzClient c = clients.get(client);
      int total = 0;
      Map<Kind, Integer> w = new EnumMap<>(Kind.class);
      for (Map.Entry<Kind, Integer> e : WEIGHTS.entrySet()) {
        int weight = e.getValue();
        Kind k = e.getKey();
        if (c.pinned && (k == Kind.DISCARD_ALL || k.name().startsWith("DISC_"))) {
          weight *= 3;
        }
        if (c.tx != Tx.IDLE && (k == Kind.COMMIT || k == Kind.ROLLBACK)) {
          weight *= 2;
        }
        w.put(k, weight);
        total += weight;
      }
      int pick = r.nextInt(total);
      Kind kind = null;
      for (Map.Entry<Kind, Integer> e : w.entrySet()) {
        pick -= e.getValue();
        if (pick < 0) {
          kind = e.getKey();
          break;
        }
      }
      FuzzStep s = new FuzzStep(client, kind, r.nextInt(1000));
      if (fits(s)) {
        return s;
      }
    }
    return null;
  }

  String defaultOf(String guc) {
    return defaults.get(guc);
  }

  // ---- Writes ----

  String nextValue(FuzzClient c, String guc) {
    unique++;
    String v =
        switch (guc) {
          case "work_mem" -> Integer.toString(2000 + unique * 7 + c.index);
          case "search_path" -> "public, " + c.tag + "v" + unique;
          default -> c.tag + "v" + unique;
        };
    owners.put(guc + "=" + v, c.who() + " at step " + stepNo);
    return v;
  }

  void ack(FuzzClient c, int seq) {
    acked.add(c.tag + ":" + seq);
  }

  void forbid(FuzzClient c, List<Integer> seqs, String why) {
    for (int seq : seqs) {
      forbidden.put(c.tag + ":" + seq, why + " at step " + stepNo);
    }
  }

  /** Every acknowledged write is in the database once; no write that must not be is. */
  void checkWrites() throws SQLException {
    Map<String, Integer> found = new HashMap<>();
    try (Statement s = db.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT client || ':' || seq, count(*) FROM fuzz_writes WHERE client LIKE '" + runTag
                    + "c%' GROUP BY 1")) {
      while (rs.next()) {
        found.put(rs.getString(1), rs.getInt(2));
      }
    }
    Set<String> pending = new LinkedHashSet<>();
    for (FuzzClient c : clients) {
      for (int seq : c.current.writes) {
        pending.add(c.tag + ":" + seq);
      }
    }
    for (String w : acked) {
      int n = found.getOrDefault(w, 0);
      if (n != 1) {
        throw new Failure(n == 0 ? "LOST_WRITE" : "DUPLICATE_WRITE", "acknowledged write " + w + " is in the database " + n + " times");
      }
    }
    for (Map.Entry<String, Integer> e : found.entrySet()) {
      String w = e.getKey();
      if (forbidden.containsKey(w)) {
        throw new Failure("FORBIDDEN_WRITE", "write " + w + " is committed, but " + forbidden.get(w));
      }
      if (unknown.contains(w) && e.getValue() == 1) {
        continue;
      }
      if (!acked.contains(w)) {
        throw new Failure(
            pending.contains(w) ? "EARLY_COMMIT" : "UNEXPECTED_WRITE",
            "write " + w + " is committed but was never acknowledged"
                + (pending.contains(w) ? " (its transaction is still open)" : ""));
      }
    }
  }

  // ---- The end of a run ----

  private void finish() throws IOException, SQLException, InterruptedException {
    for (FuzzClient c : clients) {
      if (c.tx != Tx.IDLE) {
        forbid(c, c.current.writes, "its client left in a transaction");
        c.current.writes.clear();
      }
      c.send(PgWire.typed('X', new byte[0]));
      c.close();
    }
    long until = System.nanoTime() + waitMillis * 1_000_000L;
    String busy;
    do {
      busy = busyServers();
      if (busy.isEmpty()) {
        break;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < until);
    if (!busy.isEmpty()) {
      throw new Failure("SERVER_NOT_IDLE", "with no client left, PostgreSQL still shows " + busy + " after " + waitMillis + " ms");
    }
    checkWrites();
    // Probes: one per server, each holding its server in a transaction, see a clean session.
    List<FuzzClient> probes = new ArrayList<>();
    try {
      for (int i = 0; i < shape.poolSize(); i++) {
        FuzzClient p = new FuzzClient(100 + i, runTag + "probe", pooler.port(), waitMillis, g -> defaults.get(g));
        probes.add(p);
        p.connect();
        p.send(PgWire.query("BEGIN"));
        p.begin();
        p.expectOk(p.untilReady("BEGIN"), "BEGIN");
        actions.check(p, 0);
      }
    } finally {
      for (FuzzClient p : probes) {
        p.close();
      }
    }
    for (int round = 0; round < 2; round++) {
      System.gc();
      Thread.sleep(30);
      for (int i = 0; i < 100; i++) {
        ByteBuf b = PooledByteBufAllocator.DEFAULT.buffer(64);
        b.release();
      }
    }
    for (String line : leaks.lines()) {
      if (line.contains("LEAK")) {
        throw new Failure("BUFFER_LEAK", "Netty reported " + line.lines().findFirst().orElse(line));
      }
    }
  }

  /** Server connections of the test role that are not idle (in a transaction, or running). */
  private String busyServers() throws SQLException {
    StringBuilder b = new StringBuilder();
    try (Statement s = db.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT pid, state, left(query, 60) FROM pg_stat_activity WHERE usename = '" + Roles.TRUST
                    + "' AND datname = '" + Roles.DATABASE + "' AND backend_type = 'client backend'"
                    + " AND state <> 'idle' AND pid <> pg_backend_pid()")) {
      while (rs.next()) {
        b.append(b.length() > 0 ? ", " : "").append("pid ").append(rs.getInt(1)).append(" '").append(rs.getString(2))
            .append("' (last query: ").append(rs.getString(3)).append(')');
      }
    }
    return b.toString();
  }

  @Override
  public void close() {
    for (FuzzClient c : clients) {
      try {
        c.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    leaks.close();
    try {
      pooler.close();
    } finally {
      try {
        db.close();
      } catch (SQLException e) {
        // closing anyway
      }
    }
  }
}
