package dev.breakwater.server.stats;

import dev.breakwater.server.pool.Pool;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The averages of SHOW STATS and the {@code stats:} log line, as PgBouncer computes them: every
 * {@code stats_period} each pool's counters are sampled, and an average is the difference between
 * the last two samples, per second for counts and bytes, per event for times (microseconds per
 * transaction, per query, per server assignment).
 */
public final class StatsAverages {

  /** Averages over the last stats period; counts and bytes per second, times in microseconds. */
  public record Averages(
      long serverAssignments,
      long transactions,
      long queries,
      long received,
      long sent,
      long transactionMicros,
      long queryMicros,
      long waitMicros,
      long clientParses,
      long serverParses,
      long binds) {

    public static final Averages ZERO = new Averages(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  /** One pool's last two samples. */
  private record Window(PoolStats.Totals older, PoolStats.Totals newer) {}

  private final Map<PoolStats, Window> windows = new ConcurrentHashMap<>();
  private volatile long olderNanos;
  private volatile long newerNanos;

  public StatsAverages(long startNanos) {
    // As PgBouncer: the first period is measured from one second before the start.
    this.olderNanos = startNanos - 1_000_000_000L;
    this.newerNanos = startNanos;
  }

  /** Takes a sample of every pool's counters (and the console's): the end of one stats period. */
  public synchronized void sample(Iterable<PoolStats> all, long now) {
    for (PoolStats p : all) {
      PoolStats.Totals current = p.totals();
      Window w = windows.get(p);
      windows.put(p, new Window(w == null ? PoolStats.Totals.ZERO : w.newer(), current));
    }
    olderNanos = newerNanos;
    newerNanos = now;
  }

  /** Forgets the samples of counters not in {@code all} (pools removed). */
  public void retain(java.util.Collection<PoolStats> all) {
    if (windows.size() > all.size()) {
      java.util.Set<PoolStats> live =
          java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
      live.addAll(all);
      windows.keySet().removeIf(k -> !live.contains(k));
    }
  }

  /** The nanoTime of the last sample. */
  public long lastSampleNanos() {
    return newerNanos;
  }

  /** The averages of these pools together over the last complete period. */
  public Averages of(java.util.Collection<Pool> pools) {
    return ofStats(statsOf(pools));
  }

  /** Each pool's counters. */
  public static java.util.List<PoolStats> statsOf(java.util.Collection<Pool> pools) {
    java.util.List<PoolStats> out = new java.util.ArrayList<>(pools.size() + 1);
    for (Pool p : pools) {
      out.add(p.stats());
    }
    return out;
  }

  /** The averages of these counters together over the last complete period. */
  public Averages ofStats(Iterable<PoolStats> all) {
    PoolStats.Totals older = PoolStats.Totals.ZERO;
    PoolStats.Totals newer = PoolStats.Totals.ZERO;
    for (PoolStats p : all) {
      Window w = windows.get(p);
      if (w != null) {
        older = older.plus(w.older());
        newer = newer.plus(w.newer());
      }
    }
    return average(older, newer, newerNanos - olderNanos);
  }

  static Averages average(PoolStats.Totals older, PoolStats.Totals newer, long nanos) {
    if (nanos <= 0) {
      return Averages.ZERO;
    }
    long micros = Math.max(1, nanos / 1000);
    long xacts = newer.transactions() - older.transactions();
    long queries = newer.queries() - older.queries();
    long assignments = newer.assignments() - older.assignments();
    return new Averages(
        perSecond(assignments, micros),
        perSecond(xacts, micros),
        perSecond(queries, micros),
        perSecond(newer.received() - older.received(), micros),
        perSecond(newer.sent() - older.sent(), micros),
        perEvent(newer.transactionMicros() - older.transactionMicros(), xacts),
        perEvent(newer.queryMicros() - older.queryMicros(), queries),
        perEvent(newer.waitMicros() - older.waitMicros(), assignments),
        perSecond(newer.clientParses() - older.clientParses(), micros),
        perSecond(newer.serverParses() - older.serverParses(), micros),
        perSecond(newer.binds() - older.binds(), micros));
  }

  private static long perSecond(long delta, long micros) {
    return delta <= 0 ? 0 : (long) (delta * 1_000_000.0 / micros);
  }

  private static long perEvent(long deltaMicros, long events) {
    return events <= 0 ? 0 : deltaMicros / events;
  }

  /** PgBouncer's {@code stats:} line for these averages. */
  public static String logLine(Averages a) {
    return String.format(
        "stats: %d xacts/s, %d queries/s, %d client parses/s, %d server parses/s, %d binds/s,"
            + " in %d B/s, out %d B/s, xact %d us, query %d us, wait %d us",
        a.transactions(), a.queries(), a.clientParses(), a.serverParses(), a.binds(),
        a.received(), a.sent(), a.transactionMicros(), a.queryMicros(), a.waitMicros());
  }
}
