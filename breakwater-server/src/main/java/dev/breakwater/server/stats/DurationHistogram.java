package dev.breakwater.server.stats;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * One kind of duration of one pool (waits, transactions or queries), as SHOW STATS, Prometheus and
 * the dashboard report it: how many and their total (SHOW STATS), counts in fixed buckets and the
 * longest of the last two minutes (the {@code _seconds} histogram and its {@code _max}), and
 * percentiles over the last seconds ({@link LatencyWindow}, the dashboard).
 *
 * <p>Recorded on the event loops for every transaction, so a record is a few uncontended atomic
 * adds and no clock read: no locks, no time-windowed copies (a Micrometer timer costs about three
 * times as much, most of it in the rotation of its windows). {@link #roll} moves the windows on
 * once a second, off the event loops.
 */
public final class DurationHistogram {

  /**
   * The buckets' upper bounds, 100 µs to 120 s, a few per decade: enough for
   * {@code histogram_quantile}, few enough for a short search on every record and a short scrape.
   */
  static final Duration[] BOUNDS = {
    Duration.ofNanos(100_000), Duration.ofNanos(250_000), Duration.ofNanos(500_000),
    Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
    Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
    Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
    Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5),
    Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
    Duration.ofSeconds(120)
  };

  private static final long[] BOUND_NANOS = boundNanos();

  /** The longest is kept per this many rolls (seconds), ... */
  static final int MAX_SLOT_ROLLS = 30;
  /** ... in the current slot and this many before it: the last 90 to 120 seconds. */
  static final int MAX_PAST_SLOTS = 3;

  /** Counts per bucket, not cumulative; the last one is above every bound. */
  private final AtomicLongArray buckets = new AtomicLongArray(BOUND_NANOS.length + 1);
  /**
   * Microseconds, not nanoseconds: a long of nanoseconds wraps after 292 years of summed time,
   * which 1000 clients always waiting add up in 107 days; of microseconds, in 292 years.
   */
  private final LongAdder sumMicros = new LongAdder();
  private final AtomicLong currentMax = new AtomicLong();
  private final long[] pastMax = new long[MAX_PAST_SLOTS];
  private int rolls;
  private final LatencyWindow window = new LatencyWindow(PoolMeters.WINDOW_SECONDS);

  private static long[] boundNanos() {
    long[] b = new long[BOUNDS.length];
    for (int i = 0; i < b.length; i++) {
      b[i] = BOUNDS[i].toNanos();
    }
    return b;
  }

  /** Records one duration (negative ones, from a clock that went back, count as 0). */
  public void record(long nanos) {
    long n = Math.max(0, nanos);
    buckets.incrementAndGet(bucketOf(n));
    sumMicros.add((n + 500) / 1000);
    window.record(n);
    if (n > currentMax.get()) {
      currentMax.accumulateAndGet(n, Math::max);
    }
  }

  /** The bucket of a duration: the first whose bound it does not exceed (most are in the first few). */
  static int bucketOf(long nanos) {
    int i = 0;
    while (i < BOUND_NANOS.length && nanos > BOUND_NANOS[i]) {
      i++;
    }
    return i;
  }

  /** Durations recorded so far. */
  public long count() {
    long c = 0;
    for (int i = 0; i < buckets.length(); i++) {
      c += buckets.get(i);
    }
    return c;
  }

  /** Their total, in microseconds (each rounded to the nearest). */
  public long sumMicros() {
    return sumMicros.sum();
  }

  /** The buckets' upper bounds in seconds, the last one +Inf. */
  public static double[] upperBoundsSeconds() {
    double[] out = new double[BOUND_NANOS.length + 1];
    for (int i = 0; i < BOUND_NANOS.length; i++) {
      out[i] = BOUND_NANOS[i] / 1e9;
    }
    out[BOUND_NANOS.length] = Double.POSITIVE_INFINITY;
    return out;
  }

  /** The count in each bucket (not cumulative), in the order of {@link #upperBoundsSeconds}. */
  public long[] bucketCounts() {
    long[] out = new long[buckets.length()];
    for (int i = 0; i < out.length; i++) {
      out[i] = buckets.get(i);
    }
    return out;
  }

  /** The longest duration recorded in the last 90 to 120 seconds (since the start before that), or 0. */
  public synchronized long maxNanos() {
    long m = currentMax.get();
    for (long p : pastMax) {
      m = Math.max(m, p);
    }
    return m;
  }

  /** The dashboard's percentiles over the last seconds. */
  public LatencyWindow window() {
    return window;
  }

  /** Once a second, off the event loops: the dashboard's window and the longest move on. */
  public synchronized void roll() {
    window.roll();
    if (++rolls % MAX_SLOT_ROLLS == 0) {
      System.arraycopy(pastMax, 0, pastMax, 1, MAX_PAST_SLOTS - 1);
      pastMax[0] = currentMax.getAndSet(0);
    }
  }
}
