package dev.breakwater.bench.client;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens {@code --connections} client connections, logs each in (SCRAM) and leaves it idle; prints
 * {@code READY ok=N failed=M} once all are open, then holds them until it is killed or its
 * standard input ends. On {@code --check} it first verifies, 2 seconds after READY, how many the
 * server has closed.
 *
 * <pre>IdleClients --port P --password X [--connections 10000] [--threads 8]</pre>
 */
public final class IdleClients {

  public static void main(String[] argv) throws Exception {
    Args args = new Args(argv);
    PgWire.Target target = args.target();
    int total = args.getInt("connections", 10_000);
    int threads = args.getInt("threads", 8);
    List<PgWire> open = new ArrayList<>(total);
    AtomicInteger next = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Map<String, Integer> errors = new TreeMap<>();
    long t0 = System.nanoTime();
    List<Thread> workers = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      Thread t =
          new Thread(
              () -> {
                while (next.getAndIncrement() < total) {
                  try {
                    PgWire c = PgWire.connect(target, 30_000);
                    synchronized (open) {
                      open.add(c);
                    }
                  } catch (IOException | RuntimeException e) {
                    failed.incrementAndGet();
                    synchronized (errors) {
                      errors.merge(BurstClient.describe(e), 1, Integer::sum);
                    }
                  }
                }
              });
      t.start();
      workers.add(t);
    }
    for (Thread t : workers) {
      t.join();
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    for (Map.Entry<String, Integer> e : errors.entrySet()) {
      System.out.printf("error count=%d message=%s%n", e.getValue(), e.getKey());
    }
    System.out.printf("READY ok=%d failed=%d seconds=%.2f%n", open.size(), failed.get(), seconds);
    System.out.flush();
    // Hold until told to stop (stdin closed or a line), then check that all are still open.
    int line = System.in.read();
    if (line >= 0) {
      int closed = 0;
      for (PgWire c : open) {
        if (c.isClosedByServer()) {
          closed++;
        }
      }
      System.out.printf("CHECKED still_open=%d closed_by_server=%d%n", open.size() - closed, closed);
      System.out.flush();
    }
    for (PgWire c : open) {
      c.close();
    }
  }

  private IdleClients() {}
}
