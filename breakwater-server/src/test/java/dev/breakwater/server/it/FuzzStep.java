package dev.breakwater.server.it;

import java.util.ArrayList;
import java.util.List;

/**
 * One step of a protocol fuzz run ({@link ProtocolFuzzIT}): which client acts, what it does, and
 * a free argument that picks the variant (statement, setting, method, row count...). Steps are
 * plain data so that a run can be shrunk by removing steps and printed as a regression test; a
 * step that does not fit the state it meets at replay (COMMIT outside a transaction, a client
 * that would wait for a server every other client holds) is skipped, never sent.
 */
record FuzzStep(int client, Kind kind, int arg) {

  /** What a client does in one step. Each reads its replies to the end, except the DISC_ ones. */
  enum Kind {
    // Writes
    Q_INSERT, X_INSERT, X_PIPELINE, X_FLUSH_THEN_SYNC, X_ERROR_MID_BATCH, Q_MULTI_ERROR,
    COPY_IN, COPY_IN_FAIL, COPY_OUT,
    // Session state
    SETTING, CHECK, LISTEN, NOTIFY, ADVISORY_LOCK, ADVISORY_XACT_LOCK, TEMP_TABLE, PREPARE_SQL,
    DISCARD_ALL, X_NAMED_PARSE, X_NAMED_EXEC,
    // Transactions
    BEGIN, SAVEPOINT, ROLLBACK_TO, RELEASE, COMMIT, ROLLBACK,
    // Cancels
    CANCEL_OWN, CANCEL_STRAY,
    // Leaving at some point: the client then comes back as a new one
    DISC_CLEAN, DISC_EXT_FLUSH, DISC_HALF_MESSAGE, DISC_MID_COPY_IN, DISC_MID_COPY_OUT,
    DISC_MID_QUERY
  }

  static FuzzStep s(int client, Kind kind, int arg) {
    return new FuzzStep(client, kind, arg);
  }

  /** {@code "0 SETTING 12"}. */
  @Override
  public String toString() {
    return client + " " + kind + " " + arg;
  }

  /** Steps as {@code "0 SETTING 12; 1 CHECK 0"}, the form {@link #parse} reads. */
  static String format(List<FuzzStep> steps) {
    StringBuilder b = new StringBuilder();
    for (FuzzStep s : steps) {
      if (b.length() > 0) {
        b.append("; ");
      }
      b.append(s);
    }
    return b.toString();
  }

  static List<FuzzStep> parse(String text) {
    List<FuzzStep> out = new ArrayList<>();
    for (String part : text.split(";")) {
      String p = part.trim();
      if (p.isEmpty()) {
        continue;
      }
      String[] f = p.split("\\s+");
      out.add(new FuzzStep(Integer.parseInt(f[0]), Kind.valueOf(f[1]), Integer.parseInt(f[2])));
    }
    return out;
  }

  /** The shape of a run: pool size, number of clients, event loops. */
  record Shape(int poolSize, int clients, int threads) {
    @Override
    public String toString() {
      return "pool " + poolSize + ", " + clients + " clients, " + threads + " threads";
    }
  }

  /** An invariant broken: a category (for shrinking to the same bug) and a precise message. */
  static final class Failure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String category;

    Failure(String category, String message) {
      super(category + ": " + message);
      this.category = category;
    }
  }
}
