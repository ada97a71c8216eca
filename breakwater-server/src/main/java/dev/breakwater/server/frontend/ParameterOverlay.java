package dev.breakwater.server.frontend;

import dev.breakwater.server.pool.WelcomeParameters;
import java.util.AbstractMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The parameters a client was told of, kept as the few that differ from its pool's (shared,
 * immutable) welcome parameters: an idle client costs a handful of entries, not a copy of every
 * server parameter. The client's own entries are copied on write, never changed in place, so a
 * server can keep the ones it last agreed with and compare them at the next link.
 */
final class ParameterOverlay extends AbstractMap<String, String> {

  private Map<String, String> base = Map.of();
  /**
   * Entries that differ from {@link #base}; null when none. Replaced, never changed: an immutable
   * map, a few dozen bytes for the one or two entries a client usually has.
   */
  private Map<String, String> own;

  /** The pool's welcome parameters, once known; entries equal to them are dropped. */
  void base(Map<String, String> welcome) {
    base = welcome;
    if (own != null) {
      HashMap<String, String> kept = new HashMap<>(own);
      kept.entrySet().removeIf(e -> e.getValue().equals(welcome.get(e.getKey())));
      own = kept.isEmpty() ? null : Map.copyOf(kept);
    }
  }

  /**
   * The pool's welcome parameters this overlay is based on, or null before they are known: the
   * same map for every client of the pool, so a server can tell at once that it agrees.
   */
  Map<String, String> baseOrNull() {
    return base.isEmpty() ? null : base;
  }

  /**
   * What the client holds beyond {@link #baseOrNull}, or null when nothing: a map that is never
   * changed, replaced by the next change. Two clients with equal own entries and the same base
   * hold the same parameters.
   */
  Map<String, String> own() {
    return own;
  }

  @Override
  public String get(Object key) {
    if (key == null) {
      return null; // the immutable maps refuse null keys
    }
    if (own != null) {
      String v = own.get(key);
      if (v != null) {
        return v;
      }
    }
    return base.get(key);
  }

  @Override
  public boolean containsKey(Object key) {
    return get(key) != null;
  }

  @Override
  public String put(String key, String value) {
    String before = get(key);
    if (value.equals(base.get(key))) {
      if (own != null && own.containsKey(key)) {
        HashMap<String, String> next = new HashMap<>(own);
        next.remove(key);
        own = next.isEmpty() ? null : Map.copyOf(next);
      }
    } else if (!value.equals(own != null ? own.get(key) : null)) {
      if (own == null) {
        own = Map.of(key, value);
      } else {
        HashMap<String, String> next = new HashMap<>(own);
        next.put(key, value);
        own = Map.copyOf(next);
      }
    }
    return before;
  }

  @Override
  public String putIfAbsent(String key, String value) {
    String before = get(key);
    if (before == null) {
      put(key, value);
    }
    return before;
  }

  /**
   * A ParameterStatus message for every parameter, as a login sends them: the pool's encoded once
   * (see {@link WelcomeParameters}) where the client did not change them.
   */
  void writeStatus(io.netty.buffer.ByteBuf out) {
    if (base instanceof WelcomeParameters w) {
      w.writeStatus(out, own);
    } else {
      forEach((name, value) -> dev.breakwater.protocol.BackendMessages.parameterStatus(out, name, value));
    }
  }

  /**
   * Every parameter, in {@link #entrySet}'s order (the pool's, then the client's own), without the
   * merged copy: a login sends them all as ParameterStatus.
   */
  @Override
  public void forEach(BiConsumer<? super String, ? super String> action) {
    for (Entry<String, String> e : base.entrySet()) {
      String mine = own != null ? own.get(e.getKey()) : null;
      action.accept(e.getKey(), mine != null ? mine : e.getValue());
    }
    if (own != null) {
      for (Entry<String, String> e : own.entrySet()) {
        if (!base.containsKey(e.getKey())) {
          action.accept(e.getKey(), e.getValue());
        }
      }
    }
  }

  @Override
  public Set<Entry<String, String>> entrySet() {
    Map<String, String> merged = new LinkedHashMap<>(base);
    if (own != null) {
      merged.putAll(own);
    }
    return merged.entrySet();
  }
}
