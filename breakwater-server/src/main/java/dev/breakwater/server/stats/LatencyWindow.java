package dev.breakwater.server.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Percentiles of a duration over the last few seconds, for the dashboard. Durations fall into
 * quarter-octave buckets (each about 19% wider than the last, so a percentile is within about 10%)
 * counted without locks; once a second {@link #roll} keeps a copy of the counts, and a percentile
 * is read from the difference between now and the copy taken {@code seconds} ago.
 */
public final class LatencyWindow {

  /** Buckets per doubling. */
  private static final int STEPS = 4;
  /** Bucket 0 holds durations under 1 µs; the last, durations over 2^40 µs (about 12 days). */
  private static final int BUCKETS = 40 * STEPS + 2;

  private final AtomicLongArray counts = new AtomicLongArray(BUCKETS);
  private final long[][] history;
  private int next;
  private int filled;

  /** Percentiles over the last {@code seconds} rolls. */
  public LatencyWindow(int seconds) {
    this.history = new long[seconds + 1][];
  }

  public void record(long nanos) {
    counts.incrementAndGet(bucket(nanos / 1000));
  }

  /** 2^20 times 2^(1/4), 2^(1/2) and 2^(3/4): where a doubling's quarter-steps begin. */
  private static final long Q1 = Math.round(Math.pow(2, 20.25));
  private static final long Q2 = Math.round(Math.pow(2, 20.5));
  private static final long Q3 = Math.round(Math.pow(2, 20.75));

  /** 1 + floor(4 log2(micros)), from the bits: no logarithm on the hot path. */
  static int bucket(long micros) {
    if (micros < 1) {
      return 0;
    }
    int octave = 63 - Long.numberOfLeadingZeros(micros);
    // The mantissa as a fixed-point number in [2^20, 2^21).
    long m = octave >= 20 ? micros >>> (octave - 20) : micros << (20 - octave);
    int quarter = m < Q1 ? 0 : m < Q2 ? 1 : m < Q3 ? 2 : 3;
    return Math.min(1 + octave * STEPS + quarter, BUCKETS - 1);
  }

  /** The upper bound of a bucket, in microseconds. */
  static double upperMicros(int bucket) {
    if (bucket == 0) {
      return 1;
    }
    return Math.pow(2, (double) bucket / STEPS);
  }

  /** Keeps a copy of the counts; called once a second. */
  public synchronized void roll() {
    long[] copy = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) {
      copy[i] = counts.get(i);
    }
    history[next] = copy;
    next = (next + 1) % history.length;
    filled = Math.min(filled + 1, history.length);
  }

  /**
   * The given percentiles (0 to 1) of the durations recorded over the window, in milliseconds;
   * NaN for each when nothing was recorded.
   */
  public synchronized double[] percentilesMillis(double... quantiles) {
    double[] out = new double[quantiles.length];
    if (filled == 0) {
      java.util.Arrays.fill(out, Double.NaN);
      return out;
    }
    long[] newest = history[(next - 1 + history.length) % history.length];
    long[] oldest = filled < history.length ? new long[BUCKETS] : history[next % history.length];
    long[] diff = new long[BUCKETS];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      diff[i] = newest[i] - oldest[i];
      total += diff[i];
    }
    for (int q = 0; q < quantiles.length; q++) {
      if (total == 0) {
        out[q] = Double.NaN;
        continue;
      }
      long rank = (long) Math.ceil(quantiles[q] * total);
      long seen = 0;
      for (int i = 0; i < BUCKETS; i++) {
        seen += diff[i];
        if (seen >= rank && diff[i] > 0) {
          out[q] = upperMicros(i) / 1000.0;
          break;
        }
      }
    }
    return out;
  }

  /** Events recorded over the window. */
  public synchronized long count() {
    if (filled == 0) {
      return 0;
    }
    long[] newest = history[(next - 1 + history.length) % history.length];
    long[] oldest = filled < history.length ? new long[BUCKETS] : history[next % history.length];
    long total = 0;
    for (int i = 0; i < BUCKETS; i++) {
      total += newest[i] - oldest[i];
    }
    return total;
  }
}
