package dev.breakwater.bench.client;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The serverless burst: {@code --connections} short-lived connections, {@code --concurrency} at a
 * time, each one connecting, logging in (SCRAM), running one query and leaving, as a function
 * invocation does. Measures connections per second, the time from connect() to the first row, and
 * failures.
 *
 * <pre>
 * BurstClient --port P --password X [--connections 1000] [--concurrency 100] [--warmup 50]
 *             [--query "SELECT 1"] [--out file.ttfr] [--sslmode disable|require] [--tls-resume 0|1]
 * </pre>
 *
 * Prints one line of {@code key=value} results (and the distinct errors); {@code --out} gets the
 * time to first row of each successful connection, in microseconds, one a line.
 */
public final class BurstClient {

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    PgWire.Target target = args.target();
    int total = args.getInt("connections", 1000);
    int concurrency = args.getInt("concurrency", 100);
    int warmup = args.getInt("warmup", 50);
    int timeout = args.getInt("timeout-ms", 30_000);
    String query = args.get("query", "SELECT 1");
    if (args.get("sslmode", "disable").equals("require")) {
      PgWire.useTls(args.getInt("tls-resume", 0) == 1);
    }

    // Unmeasured: warms this JVM's code paths (and the target's) so the burst measures steady work.
    run(target, query, warmup, Math.min(concurrency, 10), timeout);

    Result r = run(target, query, total, concurrency, timeout);
    long[] ttfr = Arrays.copyOf(r.ttfrMicros, r.ok.get());
    Arrays.sort(ttfr);
    double seconds = r.elapsedNanos / 1e9;
    System.out.printf(
        "connections=%d ok=%d failed=%d seconds=%.3f per_second=%.1f ttfr_p50_ms=%.3f ttfr_p99_ms=%.3f ttfr_max_ms=%.3f%n",
        total,
        r.ok.get(),
        r.failed.get(),
        seconds,
        r.ok.get() / seconds,
        percentile(ttfr, 50) / 1000.0,
        percentile(ttfr, 99) / 1000.0,
        ttfr.length == 0 ? 0 : ttfr[ttfr.length - 1] / 1000.0);
    for (Map.Entry<String, Integer> e : r.errors.entrySet()) {
      System.out.printf("error count=%d message=%s%n", e.getValue(), e.getKey());
    }
    String out = args.get("out", null);
    if (out != null) {
      try (PrintWriter w = new PrintWriter(Files.newBufferedWriter(Path.of(out)))) {
        for (long t : r.ttfrMicros) {
          if (t > 0) {
            w.println(t);
          }
        }
      }
    }
  }

  static long percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  static final class Result {
    final long[] ttfrMicros;
    final AtomicInteger ok = new AtomicInteger();
    final AtomicInteger failed = new AtomicInteger();
    final Map<String, Integer> errors = new TreeMap<>();
    long elapsedNanos;

    Result(int n) {
      ttfrMicros = new long[n];
    }
  }

  static Result run(PgWire.Target target, String query, int total, int concurrency, int timeout)
      throws InterruptedException {
    Result r = new Result(total);
    AtomicInteger next = new AtomicInteger();
    CountDownLatch start = new CountDownLatch(1);
    Thread[] threads = new Thread[concurrency];
    for (int i = 0; i < concurrency; i++) {
      threads[i] =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                int n;
                while ((n = next.getAndIncrement()) < total) {
                  long t0 = System.nanoTime();
                  try (PgWire c = PgWire.connect(target, timeout)) {
                    long firstRow = c.query(query);
                    r.ttfrMicros[n] = Math.max(1, (firstRow - t0) / 1000);
                    r.ok.incrementAndGet();
                  } catch (IOException | RuntimeException e) {
                    r.failed.incrementAndGet();
                    synchronized (r.errors) {
                      r.errors.merge(describe(e), 1, Integer::sum);
                    }
                  }
                }
              },
              "burst-" + i);
      threads[i].start();
    }
    long t0 = System.nanoTime();
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    r.elapsedNanos = System.nanoTime() - t0;
    return r;
  }

  static String describe(Throwable e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + ": " + (m == null ? "" : m.replace('\n', ' '));
  }
}
