package dev.breakwater.bench.client;

import java.util.HashMap;
import java.util.Map;

/** {@code --name value} pairs. */
final class Args {
  private final Map<String, String> values = new HashMap<>();

  Args(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      values.put(args[i].substring(2), args[++i]);
    }
  }

  String get(String name, String dflt) {
    return values.getOrDefault(name, dflt);
  }

  String get(String name) {
    String v = values.get(name);
    if (v == null) {
      throw new IllegalArgumentException("missing --" + name);
    }
    return v;
  }

  int getInt(String name, int dflt) {
    return Integer.parseInt(get(name, Integer.toString(dflt)));
  }

  PgWire.Target target() {
    return new PgWire.Target(
        get("host", "127.0.0.1"),
        Integer.parseInt(get("port")),
        get("database", "bench"),
        get("user", "bench"),
        get("password"));
  }
}
