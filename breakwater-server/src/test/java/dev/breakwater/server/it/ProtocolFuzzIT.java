package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.fail;

import dev.breakwater.server.it.FuzzStep.Failure;
import dev.breakwater.server.it.FuzzStep.Kind;
import dev.breakwater.server.it.FuzzStep.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A stateful, seeded, shrinking protocol fuzzer: a few raw clients against the real PostgreSQL
 * through a Breakwater in transaction mode with a pool of 1 or 2 servers, driven one step at a
 * time from one thread (so that a seed replays the same conversation). Each step is one client's
 * simple query, extended batch (with Sync, with Flush, pipelined, failing midway), COPY in or
 * out (finished, failed or abandoned), transaction and savepoint, SET / RESET / set_config / DO
 * block / function call, temp table, advisory lock, PREPARE, named protocol statement, LISTEN /
 * NOTIFY, cancel (its own query, or a stray key while another client's query runs), or a
 * disconnect at some point of a conversation (the client then comes back as a new one). After
 * every step ({@link FuzzRun}, {@link FuzzActions}, {@link FuzzClient}):
 *
 * <ul>
 *   <li>every write the pooler acknowledged (CommandComplete then ReadyForQuery 'I', or COMMIT)
 *       is in the database exactly once, checked over JDBC straight to PostgreSQL, and no write
 *       of a transaction that rolled back, failed, or was left by its client is committed;
 *   <li>ReadyForQuery reports the transaction status the model expects;
 *   <li>a client's check sees its own settings (fuzz.owner, work_mem, search_path), advisory
 *       locks, SQL prepared statements and temp tables and nobody else's; its named protocol
 *       statements return its own text; it gets notifications only on channels it listens to;
 *   <li>no reply takes longer than the liveness bound; a stray cancel harms no other client.
 * </ul>
 *
 * At the end of a run every client leaves: the servers must be idle within the bound, a probe on
 * each server must see a clean session, and Netty must report no leaked buffer. A failing run is
 * shrunk (delta debugging over its steps, each try on a fresh pooler) and printed with its seed
 * and as a test to paste into {@link FuzzRegressionIT}.
 *
 * <p>System properties (pass them to Maven with -D):
 *
 * <ul>
 *   <li>{@code breakwater.fuzz.seconds} (default 120): time spent on new seeds; raise it for a
 *       long run. Shrinking a failure takes up to {@code breakwater.fuzz.shrinkSeconds} (180) more.
 *   <li>{@code breakwater.fuzz.seed}: run this one seed (as printed by a failure) and shrink it.
 *   <li>{@code breakwater.fuzz.steps} (default 150): steps per seed.
 *   <li>{@code breakwater.fuzz.waitMillis} (default 5000): the liveness bound for every reply.
 *   <li>{@code breakwater.fuzz.exclude}: kinds of step never drawn, comma-separated, whole
 *       ({@code DISC_EXT_FLUSH}) or one variant ({@code SETTING/2}: see
 *       {@link FuzzActions#variant}), to look past a known bug.
 *   <li>{@code breakwater.fuzz.base}: the first seed, or {@code random}; by default 1 for the
 *       default budget (so CI runs the same seeds each time) and random for a longer run.
 *   <li>{@code breakwater.fuzz.keepGoing} (default false): after a failure, go on with new seeds
 *       until the time is spent, reporting one failure of each category.
 * </ul>
 *
 * <pre>
 * mvn -B -o -pl breakwater-server verify -Dtest=ProtocolFuzzIT -Dsurefire.failIfNoSpecifiedTests=false
 * mvn -B -o -pl breakwater-server verify -Dtest=ProtocolFuzzIT -Dsurefire.failIfNoSpecifiedTests=false -Dbreakwater.fuzz.seconds=14400
 * mvn -B -o -pl breakwater-server verify -Dtest=ProtocolFuzzIT -Dsurefire.failIfNoSpecifiedTests=false -Dbreakwater.fuzz.seed=42
 * </pre>
 */
class ProtocolFuzzIT {

  static final long SECONDS = Long.getLong("breakwater.fuzz.seconds", 120);
  static final long SHRINK_SECONDS = Long.getLong("breakwater.fuzz.shrinkSeconds", 180);
  static final int STEPS = Integer.getInteger("breakwater.fuzz.steps", 150);
  static final int WAIT_MILLIS = Integer.getInteger("breakwater.fuzz.waitMillis", 5000);
  static final Set<String> EXCLUDED = excluded(System.getProperty("breakwater.fuzz.exclude", ""));
  static final boolean KEEP_GOING = Boolean.getBoolean("breakwater.fuzz.keepGoing");

  @Test
  void randomConversationsKeepEveryInvariant() throws Exception {
    String fixed = System.getProperty("breakwater.fuzz.seed");
    if (fixed != null && !fixed.isBlank()) {
      long seed = Long.parseLong(fixed.trim());
      FuzzRun.Result r = seed(seed);
      if (r.failure() != null) {
        fail(report(seed, shapeOf(seed), r));
      }
      System.out.println("seed " + seed + " (" + shapeOf(seed) + "): " + r.steps().size() + " steps, no failure");
      return;
    }
    long deadline = System.nanoTime() + SECONDS * 1_000_000_000L;
    // The default budget (CI) starts from the same seed every time, so that a red build is the
    // code's doing and replays; a longer run, or -Dbreakwater.fuzz.base=random, explores anew.
    String baseProperty = System.getProperty("breakwater.fuzz.base", SECONDS <= 120 ? "1" : "random");
    long base = baseProperty.equals("random") ? new Random().nextLong() & 0xffff_ffffL : Long.parseLong(baseProperty);
    int runs = 0;
    int steps = 0;
    Map<String, String> reports = new LinkedHashMap<>();
    for (long seed = base; System.nanoTime() < deadline; seed++) {
      FuzzRun.Result r = seed(seed);
      runs++;
      steps += r.steps().size();
      if (r.failure() != null && !reports.containsKey(r.failure().category)) {
        reports.put(r.failure().category, report(seed, shapeOf(seed), r));
        if (!KEEP_GOING) {
          break;
        }
      }
    }
    System.out.println("protocol fuzz: " + runs + " seeds from " + base + ", " + steps + " steps, "
        + (reports.isEmpty() ? "no failure" : reports.size() + " kind(s) of failure: " + reports.keySet()));
    if (!reports.isEmpty()) {
      fail(String.join("\n", reports.values()));
    }
  }

  /** Pool size, clients and event loops follow from the seed. */
  static Shape shapeOf(long seed) {
    Random r = new Random(seed ^ 0x5DEECE66DL);
    return new Shape(1 + r.nextInt(2), 2 + r.nextInt(3), 1 + r.nextInt(2));
  }

  static FuzzRun.Result seed(long seed) throws Exception {
    try (FuzzRun run = new FuzzRun(shapeOf(seed), WAIT_MILLIS, EXCLUDED)) {
      return run.run(null, new Random(seed), STEPS, Long.MAX_VALUE);
    }
  }

  static FuzzRun.Result replay(Shape shape, List<FuzzStep> steps) throws Exception {
    try (FuzzRun run = new FuzzRun(shape, WAIT_MILLIS, Set.of())) {
      return run.run(steps, null, 0, Long.MAX_VALUE);
    } catch (Failure f) {
      return new FuzzRun.Result(List.of(), f, 0);
    }
  }

  /** For regression tests: these steps, on a fresh pooler of this shape, break no invariant. */
  static void assertPasses(Shape shape, String steps) throws Exception {
    FuzzRun.Result r = replay(shape, FuzzStep.parse(steps));
    if (r.failure() != null) {
      fail(r.failure().getMessage() + "\n  steps run: " + FuzzStep.format(r.steps()));
    }
  }

  /** Shrinks the failing run and describes it: seed, shape, failure, and a test to paste. */
  static String report(long seed, Shape shape, FuzzRun.Result original) throws Exception {
    String category = original.failure().category;
    long deadline = System.nanoTime() + SHRINK_SECONDS * 1_000_000_000L;
    List<FuzzStep> steps = original.steps();
    FuzzRun.Result last = original;
    int tries = 0;
    FuzzRun.Result again = replay(shape, steps);
    tries++;
    boolean reproduced = again.failure() != null && again.failure().category.equals(category);
    if (reproduced) {
      last = again;
      steps = again.steps();
      int n = 2;
      while (steps.size() >= 2 && System.nanoTime() < deadline) {
        int chunk = (steps.size() + n - 1) / n;
        boolean reduced = false;
        for (int start = 0; start < steps.size() && System.nanoTime() < deadline; start += chunk) {
          List<FuzzStep> candidate = new ArrayList<>(steps.subList(0, start));
          candidate.addAll(steps.subList(Math.min(steps.size(), start + chunk), steps.size()));
          FuzzRun.Result r = replay(shape, candidate);
          tries++;
          if (r.failure() != null && r.failure().category.equals(category)) {
            last = r;
            steps = r.steps();
            n = Math.max(n - 1, 2);
            reduced = true;
            break;
          }
        }
        if (!reduced) {
          if (chunk == 1) {
            break;
          }
          n = Math.min(n * 2, steps.size());
        }
      }
    }
    String name = category.toLowerCase().replace('_', ' ');
    StringBuilder camel = new StringBuilder();
    for (String w : name.split(" ")) {
      camel.append(camel.length() == 0 ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1));
    }
    String report =
        "Protocol fuzz failure " + category + "\n"
            + "  seed " + seed + " (" + shape + "); replay with -Dbreakwater.fuzz.seed=" + seed + "\n"
            + "  first seen: " + original.failure().getMessage() + "\n"
            + "  after " + original.steps().size() + " steps: " + FuzzStep.format(original.steps()) + "\n"
            + (reproduced
                ? "  shrunk to " + steps.size() + " steps in " + tries + " tries: " + last.failure().getMessage() + "\n"
                    + "  as a regression test (FuzzRegressionIT):\n\n"
                    + "  @Test\n  void " + camel + seed + "() throws Exception {\n"
                    + "    ProtocolFuzzIT.assertPasses(new Shape(" + shape.poolSize() + ", " + shape.clients() + ", "
                    + shape.threads() + "),\n        \"" + FuzzStep.format(steps) + "\");\n  }\n"
                : "  did not fail the same way on replay (" + (again.failure() == null ? "passed" : again.failure().getMessage())
                    + "): a race, not shrunk\n");
    System.out.println(report);
    return report;
  }

  private static Set<String> excluded(String list) {
    Set<String> out = new HashSet<>();
    for (String k : list.split(",")) {
      if (!k.isBlank()) {
        Kind.valueOf(k.trim().split("/")[0]);
        out.add(k.trim());
      }
    }
    return out;
  }
}
