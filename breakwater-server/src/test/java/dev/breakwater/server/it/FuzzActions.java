package dev.breakwater.server.it;

import dev.breakwater.server.it.FuzzClient.Tx;
import dev.breakwater.server.it.FuzzStep.Failure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What each {@link FuzzStep.Kind} sends, what it expects back, and how it moves the model of
 * {@link FuzzRun}. Replies are read to ReadyForQuery (within the liveness bound) except by the
 * steps that leave on purpose.
 */
final class FuzzActions {

  private final FuzzRun run;

  FuzzActions(FuzzRun run) {
    this.run = run;
  }

  private static final String CHECK_SQL =
      "SELECT coalesce(current_setting('fuzz.owner', true), ''),"
          + " (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'work_mem'),"
          + " current_setting('search_path'),"
          + " (SELECT coalesce(string_agg(objid::text, ',' ORDER BY objid), '') FROM pg_catalog.pg_locks"
          + "   WHERE locktype = 'advisory' AND pid = pg_backend_pid()),"
          + " (SELECT coalesce(string_agg(name, ',' ORDER BY name), '') FROM pg_catalog.pg_prepared_statements WHERE from_sql),"
          + " (SELECT coalesce(string_agg(relname::text, ',' ORDER BY relname), '') FROM pg_catalog.pg_class"
          + "   WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r')";

  // ---- Messages ----

  static byte[] parse(String name, String sql) {
    return PgWire.typed('P', PgWire.concat(PgWire.cstrings(name, sql), new byte[] {0, 0}));
  }

  static byte[] bind(String statement) {
    return PgWire.typed('B', PgWire.concat(PgWire.cstrings("", statement), new byte[] {0, 0, 0, 0, 0, 0}));
  }

  static byte[] copyData(String line) {
    return PgWire.typed('d', line.getBytes(StandardCharsets.UTF_8));
  }

  /** Parse, Bind, Execute of one statement, unnamed. */
  static byte[] pbe(String sql) {
    return PgWire.concat(PgWire.parse(sql), PgWire.bind(), PgWire.execute());
  }

  private static String insert(FuzzClient c, int seq) {
    return "INSERT INTO fuzz_writes VALUES ('" + c.tag + "', " + seq + ")";
  }

  private void wrote(FuzzClient c, int seq) {
    if (c.tx == Tx.IDLE) {
      run.ack(c, seq);
    } else {
      c.current.writes.add(seq);
    }
  }

  /** An error in a transaction block fails it; its writes will be undone. */
  private void failed(FuzzClient c) {
    if (c.tx == Tx.IN) {
      c.tx = Tx.FAILED;
    }
  }

  /** The variant of a step that its argument picks, for {@code -Dbreakwater.fuzz.exclude=KIND/variant}. */
  static int variant(FuzzStep s) {
    int a = s.arg();
    return switch (s.kind()) {
      case SETTING -> a % 10;
      case DISC_EXT_FLUSH -> a % 5;
      case TEMP_TABLE -> a % 4 == 3 ? 3 : a % 3;
      case BEGIN -> a % 3;
      case X_PIPELINE -> a % 3 == 0 ? 1 : 0;
      default -> 0;
    };
  }

  int strayRunner(FuzzStep s) {
    int n = run.clients.size();
    return (s.client() + 1 + s.arg() % Math.max(1, n - 1)) % n;
  }

  // ---- Steps ----

  void perform(FuzzStep s) throws IOException {
    FuzzClient c = run.clients.get(s.client());
    int a = s.arg();
    switch (s.kind()) {
      case Q_INSERT -> {
        int seq = ++c.counter;
        c.send(PgWire.query(insert(c, seq)));
        c.expectOk(c.untilReady("an INSERT"), "an INSERT");
        wrote(c, seq);
      }
      case X_INSERT -> {
        int seq = ++c.counter;
        c.send(pbe(insert(c, seq)), PgWire.sync());
        c.expectOk(c.untilReady("an extended INSERT"), "an extended INSERT");
        wrote(c, seq);
      }
      case X_PIPELINE -> pipeline(c, a);
      case X_FLUSH_THEN_SYNC -> {
        int seq = ++c.counter;
        c.send(pbe(insert(c, seq)), PgWire.flush());
        List<PgWire.Message> got = c.until("an INSERT and Flush", "CEZ");
        if (got.get(got.size() - 1).type() != 'C') {
          throw new Failure("UNEXPECTED_REPLY", c.who() + " got " + FuzzClient.types(got) + " for an INSERT and Flush");
        }
        c.send(PgWire.sync());
        c.expectOk(c.untilReady("the Sync after a Flush"), "the Sync after a Flush");
        wrote(c, seq);
      }
      case X_ERROR_MID_BATCH, Q_MULTI_ERROR -> {
        int first = ++c.counter;
        int second = ++c.counter;
        if (s.kind() == FuzzStep.Kind.Q_MULTI_ERROR) {
          c.send(PgWire.query(insert(c, first) + "; SELECT 1/0; " + insert(c, second)));
        } else {
          c.send(pbe(insert(c, first)), pbe("SELECT 1/0"), pbe(insert(c, second)), PgWire.sync());
        }
        boolean inTx = c.tx == Tx.IN;
        failed(c);
        List<PgWire.Message> got = c.untilReady("a batch failing in its middle");
        c.expectError(got, "22012", "a batch failing in its middle");
        c.expectStatus(got, "a batch failing in its middle");
        run.forbid(c, List.of(second), "it came after an error in its batch");
        if (inTx) {
          c.current.writes.add(first);
        } else {
          run.forbid(c, List.of(first), "its implicit transaction failed");
        }
      }
      case COPY_IN, COPY_IN_FAIL -> {
        c.send(PgWire.query("COPY fuzz_writes FROM STDIN"));
        expectCopyIn(c);
        int rows = 1 + a % 3;
        List<Integer> seqs = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
          int seq = ++c.counter;
          seqs.add(seq);
          c.send(copyData(c.tag + "\t" + seq + "\n"));
        }
        if (s.kind() == FuzzStep.Kind.COPY_IN) {
          c.send(PgWire.typed('c', new byte[0]));
          c.expectOk(c.untilReady("COPY FROM STDIN"), "COPY FROM STDIN");
          seqs.forEach(q -> wrote(c, q));
        } else {
          c.send(PgWire.typed('f', PgWire.cstrings("abandoned by the fuzzer")));
          failed(c);
          List<PgWire.Message> got = c.untilReady("CopyFail");
          c.expectError(got, null, "CopyFail");
          c.expectStatus(got, "CopyFail");
          run.forbid(c, seqs, "its COPY was failed by the client");
        }
      }
      case COPY_OUT -> copyOut(c);
      case SETTING -> setting(c, a);
      case CHECK -> check(c, a);
      case LISTEN -> {
        String channel = c.tag + "ch";
        c.channels.add(channel);
        c.send(PgWire.query("LISTEN " + channel));
        c.expectOk(c.untilReady("LISTEN"), "LISTEN");
      }
      case NOTIFY -> {
        FuzzClient to = run.clients.get(a % run.clients.size());
        String channel =
            a % 4 == 0 && to.generation > 0 ? run.runTag + "c" + to.index + "g" + (to.generation - 1) + "ch" : to.tag + "ch";
        c.send(PgWire.query("NOTIFY " + channel + ", 'from " + c.tag + "'"));
        c.expectOk(c.untilReady("NOTIFY"), "NOTIFY");
      }
      case ADVISORY_LOCK, ADVISORY_XACT_LOCK -> {
        long key = 1000 + ++run.unique;
        run.owners.put("lock=" + key, c.who() + " at step " + run.stepNo);
        boolean xact = s.kind() == FuzzStep.Kind.ADVISORY_XACT_LOCK;
        String fn = xact ? "pg_advisory_xact_lock" : a % 2 == 0 ? "pg_advisory_lock" : "pg_try_advisory_lock";
        if (xact) {
          c.xactLocks.add(key);
        } else {
          c.locks.add(key);
          c.pinned = true;
        }
        c.send(PgWire.query("SELECT " + fn + "(" + key + ")"));
        c.expectOk(c.untilReady(fn), fn);
      }
      case TEMP_TABLE -> tempTable(c, a);
      case PREPARE_SQL -> {
        String name = "fzp_" + c.tag + "_" + ++c.counter;
        c.prepared.add(name);
        run.owners.put("prepared=" + name, c.who() + " at step " + run.stepNo);
        c.pinned = true;
        c.send(PgWire.query("PREPARE " + name + " AS SELECT 1"));
        c.expectOk(c.untilReady("PREPARE"), "PREPARE");
      }
      case DISCARD_ALL -> {
        c.send(PgWire.query("DISCARD ALL"));
        c.expectOk(c.untilReady("DISCARD ALL"), "DISCARD ALL");
        c.resetAll();
        c.current.temps.clear();
        c.current.maybeTemps.clear();
        c.committed = c.current.copy();
        c.locks.clear();
        c.prepared.clear();
        c.named.clear();
        c.pinned = false;
      }
      case X_NAMED_PARSE -> {
        String name = "fzs" + c.named.size();
        String text = c.tag + ":" + name;
        c.named.put(name, text);
        c.send(parse(name, "SELECT '" + text + "'::text"), PgWire.sync());
        c.expectOk(c.untilReady("Parse of " + name), "Parse of " + name);
      }
      case X_NAMED_EXEC -> {
        List<String> names = new ArrayList<>(c.named.keySet());
        String name = names.get(a % names.size());
        c.send(bind(name), PgWire.execute(), PgWire.sync());
        List<PgWire.Message> got = c.untilReady("Bind and Execute of " + name);
        PgWire.Message e = FuzzClient.error(got);
        if (e != null) {
          throw new Failure("LOST_STATEMENT", c.who() + " could not run its prepared statement " + name + ": " + e);
        }
        c.expectStatus(got, "Bind and Execute of " + name);
        List<List<String>> rows = FuzzClient.rows(got);
        String seen = rows.isEmpty() ? null : rows.get(0).get(0);
        if (!c.named.get(name).equals(seen)) {
          throw new Failure(
              "WRONG_STATEMENT", c.who() + " ran its statement " + name + " and got '" + seen + "', expected '" + c.named.get(name) + "'");
        }
      }
      case BEGIN -> {
        c.begin();
        switch (a % 3) {
          case 0 -> c.send(PgWire.query("BEGIN"));
          case 1 -> c.send(pbe("BEGIN"), PgWire.sync());
          default -> c.send(PgWire.query("START TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
        }
        c.expectOk(c.untilReady("BEGIN"), "BEGIN");
      }
      case SAVEPOINT -> {
        String name = "sp" + c.savepoints.size();
        c.savepoint(name);
        c.send(PgWire.query("SAVEPOINT " + name));
        c.expectOk(c.untilReady("SAVEPOINT"), "SAVEPOINT");
      }
      case ROLLBACK_TO -> {
        String name = c.savepoints.peek().name();
        List<Integer> undone = c.rollbackToSavepoint();
        c.send(PgWire.query("ROLLBACK TO SAVEPOINT " + name));
        c.expectOk(c.untilReady("ROLLBACK TO SAVEPOINT"), "ROLLBACK TO SAVEPOINT");
        run.forbid(c, undone, "it was rolled back to savepoint " + name);
      }
      case RELEASE -> {
        String name = c.savepoints.pop().name();
        c.send(PgWire.query("RELEASE SAVEPOINT " + name));
        c.expectOk(c.untilReady("RELEASE"), "RELEASE");
      }
      case COMMIT, ROLLBACK -> endTransaction(c, s.kind() == FuzzStep.Kind.COMMIT, a);
      case CANCEL_OWN -> {
        c.send(PgWire.query("SELECT pg_sleep(0.5)"));
        sleep(100);
        c.cancel();
        List<PgWire.Message> got = c.untilReady("a cancelled pg_sleep");
        PgWire.Message e = FuzzClient.error(got);
        if (e != null && !"57014".equals(e.sqlState())) {
          throw new Failure("UNEXPECTED_ERROR", c.who() + " cancelled its query and got " + e);
        }
        c.expectStatus(got, "a cancelled pg_sleep");
      }
      case CANCEL_STRAY -> {
        FuzzClient runner = run.clients.get(strayRunner(s));
        runner.send(PgWire.query("SELECT pg_sleep(0.3)"));
        sleep(60);
        c.cancel();
        List<PgWire.Message> got = runner.untilReady("pg_sleep while another client cancels");
        PgWire.Message e = FuzzClient.error(got);
        if (e != null) {
          throw new Failure(
              "FOREIGN_CANCEL", runner.who() + " got " + e + " while " + c.who() + " sent a CancelRequest with its own key");
        }
        runner.expectStatus(got, "pg_sleep");
      }
      default -> disconnect(c, s);
    }
  }

  private void pipeline(FuzzClient c, int a) throws IOException {
    int batches = 2 + a % 2;
    int failing = a % 3 == 0 ? 1 : -1;
    List<Integer> seqs = new ArrayList<>();
    List<byte[]> out = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      int seq = ++c.counter;
      seqs.add(seq);
      out.add(pbe(insert(c, seq)));
      if (b == failing) {
        out.add(pbe("SELECT 1/0"));
      }
      out.add(PgWire.sync());
    }
    c.send(out.toArray(new byte[0][]));
    for (int b = 0; b < batches; b++) {
      List<PgWire.Message> got = c.untilReady("batch " + b + " of a pipeline");
      if (b == failing) {
        c.expectError(got, "22012", "batch " + b + " of a pipeline");
        c.expectStatus(got, "batch " + b + " of a pipeline");
        run.forbid(c, List.of(seqs.get(b)), "its pipeline batch failed");
      } else {
        c.expectOk(got, "batch " + b + " of a pipeline");
        run.ack(c, seqs.get(b));
      }
    }
  }

  private void expectCopyIn(FuzzClient c) throws IOException {
    List<PgWire.Message> got = c.until("COPY FROM STDIN", "GEZ");
    if (got.get(got.size() - 1).type() != 'G') {
      throw new Failure("UNEXPECTED_REPLY", c.who() + " got " + got + " for COPY FROM STDIN, not CopyInResponse");
    }
  }

  /** The client's own rows, through the pooler: the acknowledged ones and those of its open transaction. */
  private void copyOut(FuzzClient c) throws IOException {
    c.send(PgWire.query("COPY (SELECT seq FROM fuzz_writes WHERE client = '" + c.tag + "' ORDER BY seq) TO STDOUT"));
    List<PgWire.Message> got = c.untilReady("COPY TO STDOUT");
    c.expectOk(got, "COPY TO STDOUT");
    Set<Integer> seen = new TreeSet<>();
    for (PgWire.Message m : got) {
      if (m.type() == 'd') {
        seen.add(Integer.parseInt(new String(m.body(), StandardCharsets.UTF_8).trim()));
      }
    }
    Set<Integer> expected = new TreeSet<>(c.current.writes);
    for (String w : run.acked) {
      if (w.startsWith(c.tag + ":")) {
        expected.add(Integer.parseInt(w.substring(c.tag.length() + 1)));
      }
    }
    if (!seen.equals(expected)) {
      throw new Failure("OWN_WRITES", c.who() + " sees its rows " + seen + " through the pooler, expected " + expected);
    }
  }

  private void setting(FuzzClient c, int a) throws IOException {
    String guc = FuzzRun.GUCS[(a / 10) % FuzzRun.GUCS.length];
    int method = a % 10;
    if (method == 5 && c.tx != Tx.IN) {
      method = 0;
    }
    String v = method == 6 || method == 7 ? null : run.nextValue(c, guc);
    String lit = v == null ? null : guc.equals("search_path") ? v : "'" + v + "'";
    String sql =
        switch (method) {
          case 0 -> "SET " + guc + " = " + lit;
          case 1 -> "SELECT set_config('" + guc + "', '" + v + "', false)";
          case 2 -> "DO $$BEGIN SET " + guc + " = " + lit + "; END$$";
          case 3 -> "SELECT fuzz_apply('" + guc + "', '" + v + "')";
          case 4 -> "SET " + guc + " = " + lit;
          case 5 -> "SET LOCAL " + guc + " = " + lit;
          case 6 -> "RESET " + guc;
          case 7 -> "RESET ALL";
          case 8 -> "DO $$BEGIN PERFORM set_config('" + guc + "', '" + v + "', false); END$$";
          default -> "SET SESSION " + guc + " = " + lit;
        };
    if (method == 4) {
      c.send(pbe(sql), PgWire.sync());
    } else {
      c.send(PgWire.query(sql));
    }
    c.expectOk(c.untilReady(sql), sql);
    switch (method) {
      case 2, 3 -> c.setUntracked(guc, v);
      case 8 -> {
        c.setUntracked(guc, v);
        c.pinned = true;
      }
      case 5 -> c.setLocal(guc, v);
      case 6 -> c.setTracked(guc, run.defaultOf(guc));
      case 7 -> c.resetAll();
      default -> c.setTracked(guc, v);
    }
  }

  private void tempTable(FuzzClient c, int a) throws IOException {
    if (a % 4 == 3 && !c.current.temps.isEmpty()) {
      String name = c.current.temps.iterator().next();
      c.send(PgWire.query("DROP TABLE " + name));
      c.expectOk(c.untilReady("DROP TABLE"), "DROP TABLE");
      c.current.temps.remove(name);
      return;
    }
    String name = "fzt_" + c.tag + "_" + ++c.counter;
    run.owners.put("temp=" + name, c.who() + " at step " + run.stepNo);
    String create = "CREATE TEMP TABLE " + name + " (x int)";
    c.pinned = true;
    c.current.temps.add(name);
    switch (a % 3) {
      case 0 -> c.send(PgWire.query(create));
      case 1 -> c.send(pbe(create), PgWire.sync());
      default -> c.send(PgWire.query("DO $$BEGIN " + create + "; END$$"));
    }
    c.expectOk(c.untilReady(create), create);
  }

  private void endTransaction(FuzzClient c, boolean commit, int a) throws IOException {
    String word = commit ? "COMMIT" : "ROLLBACK";
    boolean durable = commit && c.tx == Tx.IN;
    List<Integer> writes = c.end(durable);
    if (a % 2 == 0) {
      c.send(PgWire.query(word));
    } else {
      c.send(pbe(word), PgWire.sync());
    }
    List<PgWire.Message> got = c.untilReady(word);
    c.expectOk(got, word);
    String tag = null;
    for (PgWire.Message m : got) {
      if (m.type() == 'C') {
        tag = new String(m.body(), 0, m.body().length - 1, StandardCharsets.UTF_8);
      }
    }
    String expected = durable ? "COMMIT" : "ROLLBACK";
    if (!expected.equals(tag)) {
      throw new Failure("TRANSACTION_STATUS", c.who() + " sent " + word + " and got CommandComplete " + tag + ", expected " + expected);
    }
    if (durable) {
      writes.forEach(seq -> run.ack(c, seq));
    } else {
      run.forbid(c, writes, "its transaction rolled back");
    }
  }

  /** Leaves at some point of a conversation, then comes back as a new client. */
  private void disconnect(FuzzClient c, FuzzStep s) throws IOException {
    int a = s.arg();
    List<Integer> abandoned = new ArrayList<>(c.current.writes);
    switch (s.kind()) {
      case DISC_CLEAN -> {
        if (a % 2 == 0) {
          c.send(PgWire.typed('X', new byte[0]));
        }
      }
      case DISC_EXT_FLUSH -> {
        String[] sqls = {"BEGIN", null, "SELECT 1/0", "SET fuzz.owner = '" + run.nextValue(c, "fuzz.owner") + "'", "SELECT pg_sleep(0.2)"};
        String sql = sqls[a % sqls.length];
        if (sql == null) {
          int seq = ++c.counter;
          abandoned.add(seq);
          sql = insert(c, seq);
        }
        c.send(pbe(sql), PgWire.flush());
        if (a % sqls.length != 4) {
          c.until(sql + " and Flush", "CEZ");
        }
      }
      case DISC_HALF_MESSAGE -> {
        byte[] q = PgWire.query("SELECT 'half a message'");
        c.send(Arrays.copyOf(q, 1 + a % (q.length - 1)));
      }
      case DISC_MID_COPY_IN -> {
        if (c.tx == Tx.FAILED) {
          break;
        }
        c.send(PgWire.query("COPY fuzz_writes FROM STDIN"));
        expectCopyIn(c);
        for (int i = 0; i < 2; i++) {
          int seq = ++c.counter;
          abandoned.add(seq);
          c.send(copyData(c.tag + "\t" + seq + "\n"));
        }
      }
      case DISC_MID_COPY_OUT -> {
        c.send(PgWire.query("COPY (SELECT g FROM generate_series(1, 200000) g) TO STDOUT"));
        c.until("COPY TO STDOUT", "dEZ");
      }
      default -> {
        if (a % 2 == 0 || c.tx != Tx.IDLE) {
          c.send(PgWire.query("SELECT pg_sleep(0.3)"));
        } else {
          // Left while it runs: PostgreSQL alone may commit it too (it notices the close only later).
          int seq = ++c.counter;
          run.unknown.add(c.tag + ":" + seq);
          c.send(PgWire.query(insert(c, seq) + "; SELECT pg_sleep(0.3)"));
        }
      }
    }
    c.close();
    run.forbid(c, abandoned, "its client left before it was committed (" + s.kind() + ")");
    c.connect();
  }

  // ---- The isolation check ----

  /** The client's session as it sees it matches its model, and holds nothing of another client. */
  void check(FuzzClient c, int a) throws IOException {
    if (a % 2 == 0) {
      c.send(PgWire.query(CHECK_SQL));
    } else {
      c.send(pbe(CHECK_SQL), PgWire.sync());
    }
    List<PgWire.Message> got = c.untilReady("the isolation check");
    c.expectOk(got, "the isolation check");
    List<List<String>> rows = FuzzClient.rows(got);
    if (rows.size() != 1) {
      throw new Failure("UNEXPECTED_REPLY", c.who() + " got " + rows.size() + " rows for the isolation check");
    }
    List<String> row = rows.get(0);
    for (int i = 0; i < FuzzRun.GUCS.length; i++) {
      String guc = FuzzRun.GUCS[i];
      String seen = row.get(i) == null ? "" : row.get(i);
      Set<String> ok = c.visible(guc);
      if (!normalizedContains(ok, seen)) {
        String owner = run.owners.get(guc + "=" + seen);
        boolean foreign = owner != null && !owner.startsWith(c.who());
        throw new Failure(
            foreign ? "LEAKED_SETTING" : "WRONG_SETTING",
            c.who() + " sees " + guc + " = '" + seen + "'" + (owner == null ? "" : " (set by " + owner + ")")
                + ", expected one of " + quoted(ok));
      }
    }
    Set<String> locks = new TreeSet<>();
    c.locks.forEach(k -> locks.add(Long.toString(k)));
    c.xactLocks.forEach(k -> locks.add(Long.toString(k)));
    compare(c, "advisory locks", "lock=", split(row.get(3)), locks, Set.of());
    compare(c, "SQL prepared statements", "prepared=", split(row.get(4)), new TreeSet<>(c.prepared), Set.of());
    compare(c, "temp tables", "temp=", split(row.get(5)), new TreeSet<>(c.current.temps), c.current.maybeTemps);
  }

  private static String quoted(Set<String> values) {
    List<String> q = new ArrayList<>();
    values.forEach(v -> q.add("'" + v + "'"));
    return q.toString();
  }

  private static boolean normalizedContains(Set<String> ok, String seen) {
    for (String v : ok) {
      if (v.replace(" ", "").equals(seen.replace(" ", ""))) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> split(String s) {
    Set<String> out = new TreeSet<>();
    if (s != null && !s.isEmpty()) {
      out.addAll(Arrays.asList(s.split(",")));
    }
    return out;
  }

  private void compare(FuzzClient c, String what, String ownerKey, Set<String> seen, Set<String> required, Set<String> allowed) {
    Set<String> extra = new LinkedHashSet<>(seen);
    extra.removeAll(required);
    extra.removeAll(allowed);
    if (!extra.isEmpty()) {
      StringBuilder owners = new StringBuilder();
      boolean foreign = false;
      for (String x : extra) {
        String owner = run.owners.get(ownerKey + x);
        if (owner != null && !owner.startsWith(c.who())) {
          foreign = true;
        }
        owners.append(' ').append(x).append(owner == null ? "" : " (made by " + owner + ")");
      }
      throw new Failure(
          foreign ? "LEAKED_" + ownerKey.substring(0, ownerKey.length() - 1).toUpperCase() : "WRONG_" + ownerKey.substring(0, ownerKey.length() - 1).toUpperCase(),
          c.who() + " sees " + what + owners + " it should not have; it has " + required);
    }
    if (!seen.containsAll(required)) {
      throw new Failure(
          "LOST_" + ownerKey.substring(0, ownerKey.length() - 1).toUpperCase(),
          c.who() + " lost " + what + ": sees " + seen + ", expected " + required);
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
