package dev.breakwater.server.config;

import java.util.Arrays;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Small helpers shared by the config enums. */
final class ConfigNames {
  private ConfigNames() {}

  static <E> String join(E[] values, Function<E, String> name) {
    return Arrays.stream(values).map(name).collect(Collectors.joining(", "));
  }
}
