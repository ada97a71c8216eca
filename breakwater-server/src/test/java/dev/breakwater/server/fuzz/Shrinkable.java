package dev.breakwater.server.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A generated value and the simpler values it may shrink to, simplest first, each with its own
 * shrinks (made only when asked for). A {@link Gen} makes one per try; {@link Fuzz} walks the
 * shrinks of a failing one.
 */
public record Shrinkable<T>(T value, Supplier<Stream<Shrinkable<T>>> shrinks) {

  /** A value that does not shrink. */
  public static <T> Shrinkable<T> of(T value) {
    return new Shrinkable<>(value, Stream::empty);
  }

  public <R> Shrinkable<R> map(Function<? super T, ? extends R> f) {
    return new Shrinkable<R>(f.apply(value), () -> shrinks.get().map(s -> s.map(f)));
  }

  /** {@code value} shrinking towards {@code target}: the target, then halfway there, and so on up to one step. */
  static Shrinkable<Long> integer(long value, long target) {
    return new Shrinkable<>(value, () -> {
      if (value == target) {
        return Stream.empty();
      }
      long distance = value - target; // a long: the ints' range fits
      return Stream.iterate(distance, d -> d != 0, d -> d / 2).map(d -> integer(value - d, target));
    });
  }

  /**
   * A list of {@code elements}, at least {@code min}: shrinks by dropping runs of elements (half of
   * them, then smaller runs, then one at a time), then by shrinking one element.
   */
  static <T> Shrinkable<List<T>> list(List<Shrinkable<T>> elements, int min) {
    List<T> value = elements.stream().map(Shrinkable::value).toList();
    return new Shrinkable<>(value, () -> {
      int n = elements.size();
      Stream<Shrinkable<List<T>>> fewer =
          Stream.iterate(n - min, k -> k > 0, k -> k / 2)
              .flatMap(k -> IntStream.iterate(n - k, from -> from >= 0, from -> from - k)
                  .mapToObj(from -> {
                    List<Shrinkable<T>> rest = new ArrayList<>(elements.subList(0, from));
                    rest.addAll(elements.subList(from + k, n));
                    return list(rest, min);
                  }));
      Stream<Shrinkable<List<T>>> simpler =
          IntStream.range(0, n).boxed().flatMap(i -> elements.get(i).shrinks().get().map(e -> {
            List<Shrinkable<T>> copy = new ArrayList<>(elements);
            copy.set(i, e);
            return list(copy, min);
          }));
      return Stream.concat(fewer, simpler);
    });
  }
}
