package dev.breakwater.server.fuzz;

import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

/**
 * Runs the fuzz properties, and holds the inputs they share. A property is a plain Jupiter
 * {@code @Test} that calls {@link #check}: it gets
 *
 * <ul>
 *   <li>a fixed seed, so that a run is reproducible ({@code -Dbreakwater.fuzz.decoderSeed=N} for
 *       another, {@code random} for a new one per property, printed);
 *   <li>its own number of tries, or {@code -Dbreakwater.fuzz.tries=N} for a longer run;
 *   <li>one line with its tries and time ({@code FUZZ Class.property: ...} in the test's output);
 *   <li>on the first failing input, greedy shrinking (the first simpler input that still fails
 *       the same way is kept, until none does or {@link #SHRINK_STEPS} runs are spent), then an
 *       AssertionError with the seed, the try and the shrunk input, its failure as the cause.
 * </ul>
 *
 * Every fuzz class carries {@code @ExtendWith(LeakCheck.class)} (the build also auto-detects it for
 * every class): Jupiter starts it before the class's {@code @BeforeAll}, which may start a pooler,
 * so before any buffer is made (Netty makes its leak detector once, with the factory installed at
 * that time), and it fails the class on a leaked buffer after its {@code @AfterAll}.
 */
public final class Fuzz {

  /** The seed of a run when none is given. */
  static final long SEED = 20261205L;

  /** The most runs of a property spent shrinking one failure. */
  static final int SHRINK_STEPS = 2000;

  private Fuzz() {}

  public interface Property<A> {
    void test(A a) throws Exception;
  }

  public interface Property2<A, B> {
    void test(A a, B b) throws Exception;
  }

  public interface Property3<A, B, C> {
    void test(A a, B b, C c) throws Exception;
  }

  /** Checks {@code property} on {@code tries} values of {@code a} (the calling test names the property). */
  @SuppressWarnings("unchecked")
  public static <A> void check(int tries, Gen<A> a, Property<A> property) {
    run(tries, Gen.all(a), l -> property.test((A) l.get(0)));
  }

  @SuppressWarnings("unchecked")
  public static <A, B> void check(int tries, Gen<A> a, Gen<B> b, Property2<A, B> property) {
    run(tries, Gen.all(a, b), l -> property.test((A) l.get(0), (B) l.get(1)));
  }

  @SuppressWarnings("unchecked")
  public static <A, B, C> void check(int tries, Gen<A> a, Gen<B> b, Gen<C> c, Property3<A, B, C> property) {
    run(tries, Gen.all(a, b, c), l -> property.test((A) l.get(0), (B) l.get(1), (C) l.get(2)));
  }

  private static void run(int defaultTries, Gen<List<Object>> gen, Property<List<Object>> property) {
    String name =
        StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE)
            .walk(frames -> frames.filter(f -> f.getDeclaringClass() != Fuzz.class).findFirst())
            .map(f -> f.getDeclaringClass().getSimpleName() + "." + f.getMethodName())
            .orElse("?");
    String given = System.getProperty("breakwater.fuzz.tries", "").strip();
    int tries = given.isEmpty() ? defaultTries : Integer.parseInt(given);
    String seedProperty = System.getProperty("breakwater.fuzz.decoderSeed", "").strip();
    long seed =
        seedProperty.isEmpty() ? SEED
            : seedProperty.equals("random") ? ThreadLocalRandom.current().nextLong() : Long.parseLong(seedProperty);
    long start = System.nanoTime();
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = 1; i <= tries; i++) {
      Shrinkable<List<Object>> input = gen.next(random);
      Throwable failure = failure(property, input.value());
      if (failure != null) {
        AssertionError e = shrink(name, seed, i, input, failure, property);
        line(name, i, start, seed, "FAILED");
        throw e;
      }
    }
    line(name, tries, start, seed, "SUCCESSFUL");
  }

  private static void line(String name, int tries, long start, long seed, String status) {
    System.out.printf("FUZZ %s: %d tries, %d ms, seed %d, %s%n", name, tries, (System.nanoTime() - start) / 1_000_000, seed, status);
  }

  private static <T> Throwable failure(Property<T> property, T value) {
    try {
      property.test(value);
      return null;
    } catch (Throwable t) { // StackOverflowError included: it is what a decoder must not throw
      return t;
    }
  }

  private static AssertionError shrink(
      String name, long seed, int at, Shrinkable<List<Object>> input, Throwable failure, Property<List<Object>> property) {
    Shrinkable<List<Object>> smallest = input;
    Throwable cause = failure;
    int steps = 0;
    int kept = 0;
    // The candidates of the input kept are tried from the position of the one that was kept (those
    // before it mostly failed already), round to the start: a full round without a failure ends.
    int from = 0;
    search:
    while (steps < SHRINK_STEPS) {
      Shrinkable<List<Object>> current = smallest;
      var after = current.shrinks().get().skip(from).iterator();
      var before = current.shrinks().get().limit(from).iterator();
      int nextAfter = from;
      int nextBefore = 0;
      while (steps < SHRINK_STEPS) {
        int index;
        Shrinkable<List<Object>> candidate;
        if (after.hasNext()) {
          index = nextAfter++;
          candidate = after.next();
        } else if (before.hasNext()) {
          index = nextBefore++;
          candidate = before.next();
        } else {
          break;
        }
        steps++;
        Throwable t = failure(property, candidate.value());
        // The same kind of failure: a shrink may not slip into another bug.
        if (t != null && t.getClass() == failure.getClass()) {
          smallest = candidate;
          cause = t;
          kept++;
          from = index;
          continue search;
        }
      }
      break;
    }
    String dot = name.replace('.', '#');
    AssertionError e =
        new AssertionError(
            String.format(
                "%s failed at try %d, seed %d; shrunk in %d runs (%d simpler inputs kept) to:%n%s%nfailing with: %s%n"
                    + "first failing input:%n%s%nreplay: mvn -o test -pl breakwater-server -Dtest='%s' "
                    + "-Dsurefire.failIfNoSpecifiedTests=false -Dbreakwater.fuzz.decoderSeed=%d",
                name, at, seed, steps, kept, arguments(smallest.value()), cause, arguments(input.value()),
                dot, seed),
            cause);
    if (cause != failure) {
      e.addSuppressed(failure);
    }
    return e;
  }

  private static String arguments(List<Object> values) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      lines.add("  #" + (i + 1) + " " + describe(values.get(i)));
    }
    return String.join("\n", lines);
  }

  /** A value as a failure report shows it: bytes in hex, strings escaped, records by component. */
  static String describe(Object v) {
    if (v instanceof byte[] b) {
      return b.length + " bytes" + (b.length == 0 ? "" : " " + HexFormat.of().formatHex(b));
    }
    if (v instanceof String s) {
      String shown = s.length() > 2000 ? s.substring(0, 2000) : s;
      return "\"" + escape(shown) + "\"" + (shown == s ? "" : "… (" + s.length() + " chars)");
    }
    if (v instanceof Character c) {
      return "'" + escape(String.valueOf(c)) + "'";
    }
    if (v instanceof List<?> l) {
      return l.stream().map(Fuzz::describe).collect(Collectors.joining(", ", "[", "]"));
    }
    if (v instanceof Map<?, ?> m) {
      return m.entrySet().stream()
          .map(e -> describe(e.getKey()) + "=" + describe(e.getValue()))
          .collect(Collectors.joining(", ", "{", "}"));
    }
    if (v instanceof Record r) {
      List<String> parts = new ArrayList<>();
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        try {
          c.getAccessor().setAccessible(true);
          parts.add(c.getName() + "=" + describe(c.getAccessor().invoke(r)));
        } catch (ReflectiveOperationException e) {
          parts.add(c.getName() + "=?");
        }
      }
      return r.getClass().getSimpleName() + "[" + String.join(", ", parts) + "]";
    }
    return String.valueOf(v);
  }

  private static String escape(String s) {
    StringBuilder out = new StringBuilder();
    for (char c : s.toCharArray()) {
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '"' -> out.append("\\\"");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> out.append(c < 0x20 || c >= 0x7f ? String.format("\\u%04x", (int) c) : String.valueOf(c));
      }
    }
    return out.toString();
  }

  // ---- the inputs the properties share ----

  /** One change to a valid input: overwrite, insert, delete or cut at a position (taken modulo the length). */
  public record Edit(int kind, int at, byte value) {}

  /** Up to four edits; they shrink to fewer. */
  public static Gen<List<Edit>> edits() {
    return Gen.combine(Gen.ints(0, 3), Gen.ints(0, 1 << 16), Gen.ints(Byte.MIN_VALUE, Byte.MAX_VALUE), (k, at, v) -> new Edit(k, at, v.byteValue()))
        .list(0, 4);
  }

  /** Valid inputs with a few edits: shrinks towards the valid input itself (fewer edits first), then a simpler one. */
  public static Gen<byte[]> mutated(Gen<byte[]> valid) {
    return Gen.combine(edits(), valid, (edits, v) -> apply(v, edits));
  }

  /** {@code valid} text with a few edits to its UTF-8 bytes (a broken sequence reads as U+FFFD). */
  public static Gen<String> mutated(String valid) {
    return mutated(Gen.just(valid.getBytes(StandardCharsets.UTF_8))).map(b -> new String(b, StandardCharsets.UTF_8));
  }

  public static byte[] apply(byte[] valid, List<Edit> edits) {
    byte[] b = valid;
    for (Edit e : edits) {
      int at = b.length == 0 ? 0 : e.at() % (b.length + 1);
      switch (e.kind()) {
        case 0 -> {
          if (at < b.length) {
            b = b.clone();
            b[at] = e.value();
          }
        }
        case 1 -> {
          byte[] n = new byte[b.length + 1];
          System.arraycopy(b, 0, n, 0, at);
          n[at] = e.value();
          System.arraycopy(b, at, n, at + 1, b.length - at);
          b = n;
        }
        case 2 -> {
          if (at < b.length) {
            byte[] n = new byte[b.length - 1];
            System.arraycopy(b, 0, n, 0, at);
            System.arraycopy(b, at + 1, n, at, b.length - at - 1);
            b = n;
          }
        }
        default -> b = Arrays.copyOf(b, at);
      }
    }
    return b;
  }

  /** Text made mostly of the given words and punctuation, for parsers of text. */
  public static Gen<String> textOf(String... words) {
    List<String> pieces = new ArrayList<>(List.of(words));
    pieces.addAll(List.of(" ", "\t", "\n", "\r\n", "\"", "'", "=", ",", ";", "#", "[", "]", "\\", "\0", "é", "\uD83D\uDE00"));
    Gen<String> piece =
        Gen.oneOf(Gen.of(pieces.toArray(new String[0])), Gen.strings(Gen.chars(), 0, 3), Gen.chars().map(String::valueOf));
    return piece.list(0, 40).map(l -> String.join("", l));
  }

  /** A big-endian int in 4 bytes. */
  public static byte[] int32(int v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  public static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }
}
