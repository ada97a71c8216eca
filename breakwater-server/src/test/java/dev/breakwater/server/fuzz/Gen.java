package dev.breakwater.server.fuzz;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;

/**
 * A generator of test inputs: a value from a random source, with the simpler values it shrinks to
 * (see {@link Shrinkable}). Every generator here gives its bounds now and then (an empty list, the
 * longest one, the smallest and largest int), as they are where decoders break.
 */
@FunctionalInterface
public interface Gen<T> {

  Shrinkable<T> next(RandomGenerator random);

  default <R> Gen<R> map(Function<? super T, ? extends R> f) {
    return random -> next(random).map(f);
  }

  /** Lists of {@code min} to {@code max} values; they shrink to fewer, then to simpler values. */
  default Gen<List<T>> list(int min, int max) {
    Gen<Integer> size = ints(min, max);
    return random -> {
      int n = size.next(random).value();
      List<Shrinkable<T>> elements = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        elements.add(next(random));
      }
      return Shrinkable.list(elements, min);
    };
  }

  /** Ints from {@code min} to {@code max}, shrinking towards the one nearest 0. */
  static Gen<Integer> ints(int min, int max) {
    long target = Math.max(min, Math.min(max, 0));
    return random -> {
      long v = switch (random.nextInt(16)) {
        case 0 -> min;
        case 1 -> max;
        case 2 -> target;
        default -> random.nextLong(min, (long) max + 1);
      };
      return Shrinkable.integer(v, target).map(Long::intValue);
    };
  }

  static Gen<Boolean> booleans() {
    return of(false, true);
  }

  /**
   * Any char but a surrogate (a lone one is not text: it does not survive UTF-8), ASCII half of the
   * time, shrinking towards 'a'.
   */
  static Gen<Character> chars() {
    int surrogates = Character.MAX_SURROGATE - Character.MIN_SURROGATE + 1;
    return random -> {
      int c = random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0x10000 - surrogates);
      return Shrinkable.integer(c, 'a').map(v -> (char) (v < Character.MIN_SURROGATE ? v : v + surrogates));
    };
  }

  /** Chars from {@code from} to {@code to}, shrinking towards {@code from}. */
  static Gen<Character> chars(char from, char to) {
    return random -> Shrinkable.integer(random.nextInt(from, to + 1), from).map(v -> (char) v.intValue());
  }

  static Gen<String> strings(Gen<Character> chars, int min, int max) {
    return chars.list(min, max).map(l -> l.stream().map(String::valueOf).collect(Collectors.joining()));
  }

  /** Any bytes, at most {@code max}. */
  static Gen<byte[]> bytes(int max) {
    return ints(Byte.MIN_VALUE, Byte.MAX_VALUE).list(0, max).map(l -> {
      byte[] b = new byte[l.size()];
      for (int i = 0; i < b.length; i++) {
        b[i] = l.get(i).byteValue();
      }
      return b;
    });
  }

  /** Always {@code value}. */
  static <T> Gen<T> just(T value) {
    return random -> Shrinkable.of(value);
  }

  /** One of {@code values}, shrinking towards the first. */
  @SafeVarargs
  static <T> Gen<T> of(T... values) {
    List<T> l = List.of(values);
    return ints(0, l.size() - 1).map(l::get);
  }

  /** A value of one of {@code gens}, which shrinks as that generator's values do. */
  @SafeVarargs
  static <T> Gen<T> oneOf(Gen<? extends T>... gens) {
    return random -> gens[random.nextInt(gens.length)].next(random).<T>map(v -> v);
  }

  /** Maps of at most {@code max} entries (fewer when keys repeat), in the order made. */
  static <K, V> Gen<Map<K, V>> maps(Gen<K> keys, Gen<V> values, int max) {
    return combine(keys, values, Map::entry).list(0, max).map(l -> {
      Map<K, V> m = new LinkedHashMap<>();
      l.forEach(e -> m.putIfAbsent(e.getKey(), e.getValue()));
      return m;
    });
  }

  /** The values of {@code gens} together; they shrink one after another, the first first. */
  static Gen<List<Object>> all(Gen<?>... gens) {
    return random -> {
      List<Shrinkable<?>> parts = new ArrayList<>();
      for (Gen<?> g : gens) {
        parts.add(g.next(random));
      }
      return tuple(parts);
    };
  }

  private static Shrinkable<List<Object>> tuple(List<Shrinkable<?>> parts) {
    List<Object> value = new ArrayList<>();
    parts.forEach(p -> value.add(p.value()));
    return new Shrinkable<>(value, () -> java.util.stream.IntStream.range(0, parts.size()).boxed()
        .flatMap(i -> parts.get(i).shrinks().get().map(s -> {
          List<Shrinkable<?>> copy = new ArrayList<>(parts);
          copy.set(i, s);
          return tuple(copy);
        })));
  }

  @SuppressWarnings("unchecked")
  static <A, B, R> Gen<R> combine(Gen<A> a, Gen<B> b, BiFunction<A, B, R> f) {
    return all(a, b).map(l -> f.apply((A) l.get(0), (B) l.get(1)));
  }

  @SuppressWarnings("unchecked")
  static <A, B, C, R> Gen<R> combine(Gen<A> a, Gen<B> b, Gen<C> c, Fn3<A, B, C, R> f) {
    return all(a, b, c).map(l -> f.apply((A) l.get(0), (B) l.get(1), (C) l.get(2)));
  }

  @SuppressWarnings("unchecked")
  static <A, B, C, D, R> Gen<R> combine(Gen<A> a, Gen<B> b, Gen<C> c, Gen<D> d, Fn4<A, B, C, D, R> f) {
    return all(a, b, c, d).map(l -> f.apply((A) l.get(0), (B) l.get(1), (C) l.get(2), (D) l.get(3)));
  }

  interface Fn3<A, B, C, R> {
    R apply(A a, B b, C c);
  }

  interface Fn4<A, B, C, D, R> {
    R apply(A a, B b, C c, D d);
  }
}
