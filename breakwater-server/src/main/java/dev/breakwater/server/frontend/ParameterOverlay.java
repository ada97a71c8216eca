package dev.breakwater.server.frontend;

import java.util.AbstractMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * The parameters a client was told of, kept as the few that differ from its pool's (shared,
 * immutable) welcome parameters: an idle client costs a handful of entries, not a copy of every
 * server parameter.
 */
final class ParameterOverlay extends AbstractMap<String, String> {

  private Map<String, String> base = Map.of();
  private HashMap<String, String> own;

  /** The pool's welcome parameters, once known; entries equal to them are dropped. */
  void base(Map<String, String> welcome) {
    base = welcome;
    if (own != null) {
      own.entrySet().removeIf(e -> e.getValue().equals(welcome.get(e.getKey())));
      if (own.isEmpty()) {
        own = null;
      }
    }
  }

  /**
   * The pool's welcome parameters when the client holds exactly them (nothing of its own), else
   * null: the same map for every such client, so a server can tell at once that it agrees.
   */
  Map<String, String> baseIfUnchanged() {
    return own == null && !base.isEmpty() ? base : null;
  }

  @Override
  public String get(Object key) {
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
      if (own != null) {
        own.remove(key);
      }
    } else {
      if (own == null) {
        own = new HashMap<>(4);
      }
      own.put(key, value);
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
