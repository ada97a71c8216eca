package dev.breakwater.server.fuzz;

import dev.breakwater.testkit.LeakCheck;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.lifecycle.AroundContainerHook;
import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.ContainerLifecycleContext;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * What every fuzz property shares (classes add it with {@code @AddLifecycleHook(Fuzz.class)}): a
 * fixed seed, so that a run is reproducible ({@code -Dbreakwater.fuzz.decoderSeed=N} for another, {@code
 * random} for a new one each run); the tries of the property's annotation, the CI budget, or
 * {@code -Dbreakwater.fuzz.tries=N} for a longer run; one line per property with its tries and time
 * ({@code FUZZ ...} in the test's output); and Netty's leak detector watching the whole class.
 */
public final class Fuzz implements AroundPropertyHook, AroundContainerHook {

  static {
    // Before any buffer class is loaded (a class's @BeforeContainer may start a pooler): Netty's
    // leak detector is made once, with the factory installed at that time.
    LeakCheck.start();
  }

  /** The seed of a run when none is given. */
  static final String SEED = "20261205";

  @Override
  public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
    String tries = System.getProperty("breakwater.fuzz.tries", "");
    if (!tries.isBlank() && !context.targetMethod().isAnnotationPresent(net.jqwik.api.Example.class)) {
      context.attributes().setTries(Integer.parseInt(tries.strip()));
    }
    String seed = System.getProperty("breakwater.fuzz.decoderSeed", SEED).strip();
    if (!seed.equals("random") && context.attributes().seed().filter(s -> !s.isEmpty()).isEmpty()) {
      context.attributes().setSeed(seed);
    }
    long start = System.nanoTime();
    PropertyExecutionResult r = property.execute();
    System.out.printf(
        "FUZZ %s.%s: %d tries, %d ms, seed %s, %s%n",
        context.containerClass().getSimpleName(), context.targetMethod().getName(), r.countTries(),
        (System.nanoTime() - start) / 1_000_000, r.seed().orElse("?"), r.status());
    return r;
  }

  /** From the class to its properties. */
  @Override
  public net.jqwik.api.lifecycle.PropagationMode propagateTo() {
    return net.jqwik.api.lifecycle.PropagationMode.ALL_DESCENDANTS;
  }

  @Override
  public int aroundPropertyProximity() {
    return -10;
  }

  @Override
  public void beforeContainer(ContainerLifecycleContext context) {
    LeakCheck.start();
  }

  @Override
  public void afterContainer(ContainerLifecycleContext context) {
    try {
      LeakCheck.check(context.label());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- generators ----

  /** Arbitrary bytes, at most {@code max}. */
  public static Arbitrary<byte[]> bytes(int max) {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(max);
  }

  /** One change to a valid input: overwrite, insert, delete or cut at a position (taken modulo the length). */
  public record Edit(int kind, int at, byte value) {}

  public static Arbitrary<List<Edit>> edits() {
    return Combinators.combine(
            Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 1 << 16), Arbitraries.bytes())
        .as(Edit::new)
        .list()
        .ofMaxSize(4);
  }

  /** Valid inputs with a few edits: shrinks towards the valid input itself. */
  public static Arbitrary<byte[]> mutated(Arbitrary<byte[]> valid) {
    return Combinators.combine(valid, edits()).as(Fuzz::apply);
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
  public static Arbitrary<String> textOf(String... words) {
    List<String> pieces = new ArrayList<>(List.of(words));
    pieces.addAll(List.of(" ", "\t", "\n", "\r\n", "\"", "'", "=", ",", ";", "#", "[", "]", "\\", "\0", "é", "\uD83D\uDE00"));
    Arbitrary<String> piece =
        Arbitraries.oneOf(Arbitraries.of(pieces), Arbitraries.strings().ofMaxLength(3), Arbitraries.chars().map(String::valueOf));
    return piece.list().ofMaxSize(40).map(l -> String.join("", l));
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
