package dev.breakwater.server.stats;

import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one pool, as PgBouncer's SHOW STATS reports them: transactions, queries, bytes
 * each way, time spent in transactions, in queries and waiting for a server, server assignments
 * and prepared statement work. Updated on the hot path without locks; read by the views. The three
 * kinds of duration are {@link DurationHistogram}s, which the metrics and the dashboard read too.
 */
public final class PoolStats {

  private final DurationHistogram transactions = new DurationHistogram();
  private final DurationHistogram queries = new DurationHistogram();
  private final DurationHistogram waits = new DurationHistogram();
  private final LongAdder received = new LongAdder();
  private final LongAdder sent = new LongAdder();
  private final LongAdder clientParses = new LongAdder();
  private final LongAdder serverParses = new LongAdder();
  private final LongAdder binds = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder stateChecks = new LongAdder();
  private final java.util.concurrent.ConcurrentHashMap<String, LongAdder> pins =
      new java.util.concurrent.ConcurrentHashMap<>();

  public void transaction(long nanos) {
    transactions.record(nanos);
  }

  public void query(long nanos) {
    queries.record(nanos);
  }

  /** A client got a server after waiting this long (0 when one was idle). */
  public void assigned(long waitedNanos) {
    waits.record(waitedNanos);
  }

  /** Time servers spent in each transaction. */
  public DurationHistogram transactions() {
    return transactions;
  }

  /** Time servers spent running each query. */
  public DurationHistogram queries() {
    return queries;
  }

  /** Time each client waited for a server: one per assignment. */
  public DurationHistogram waits() {
    return waits;
  }

  /** Once a second, off the event loops: the histograms' windows move on. */
  public void roll() {
    transactions.roll();
    queries.roll();
    waits.roll();
  }

  public void received(long bytes) {
    received.add(bytes);
  }

  public void sent(long bytes) {
    sent.add(bytes);
  }

  public void clientParse() {
    clientParses.increment();
  }

  public void serverParse() {
    serverParses.increment();
  }

  public void bind() {
    binds.increment();
  }

  public void eviction() {
    evictions.increment();
  }

  /**
   * A server's session state was read back after a transaction the pooler could not follow (a
   * DO block, an unknown function, an error after a SET): what that safety costs.
   */
  public void stateCheck() {
    stateChecks.increment();
  }

  /** A client was pinned to its server, for this reason (advisory_lock, temp_table, ...). */
  public void pinned(String reason) {
    pins.computeIfAbsent(reason, k -> new LongAdder()).increment();
  }

  /** Pins so far, by reason. */
  public java.util.Map<String, Long> pins() {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    pins.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** A point-in-time copy of the counters; times in microseconds, as PgBouncer prints them. */
  public record Totals(
      long transactions,
      long queries,
      long received,
      long sent,
      long transactionMicros,
      long queryMicros,
      long waitMicros,
      long assignments,
      long clientParses,
      long serverParses,
      long binds,
      long evictions,
      long stateChecks) {

    public Totals plus(Totals o) {
      return new Totals(
          transactions + o.transactions,
          queries + o.queries,
          received + o.received,
          sent + o.sent,
          transactionMicros + o.transactionMicros,
          queryMicros + o.queryMicros,
          waitMicros + o.waitMicros,
          assignments + o.assignments,
          clientParses + o.clientParses,
          serverParses + o.serverParses,
          binds + o.binds,
          evictions + o.evictions,
          stateChecks + o.stateChecks);
    }

    public static final Totals ZERO = new Totals(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
  }

  public Totals totals() {
    return new Totals(
        transactions.count(),
        queries.count(),
        received.sum(),
        sent.sum(),
        transactions.sumMicros(),
        queries.sumMicros(),
        waits.sumMicros(),
        waits.count(),
        clientParses.sum(),
        serverParses.sum(),
        binds.sum(),
        evictions.sum(),
        stateChecks.sum());
  }
}
