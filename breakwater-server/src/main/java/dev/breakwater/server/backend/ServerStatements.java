package dev.breakwater.server.backend;

import dev.breakwater.server.backend.PreparedStatements.Statement;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The statements one server has prepared, least recently used first, at most
 * max_prepared_statements of them. Used on the server's event loop.
 */
final class ServerStatements {
  private final LinkedHashMap<Statement, Boolean> prepared = new LinkedHashMap<>(16, 0.75f, true);

  /** True when the server has it; marks it used. */
  boolean touch(Statement s) {
    return prepared.get(s) != null;
  }

  /**
   * Records that the server has it now.
   *
   * @return the statements to close on the server to stay within {@code max}, least recently used
   *     first (several when max_prepared_statements was lowered), never {@code s} itself
   */
  List<Statement> add(Statement s, int max) {
    prepared.put(s, Boolean.TRUE);
    if (prepared.size() <= max) {
      return List.of();
    }
    List<Statement> evicted = new ArrayList<>(prepared.size() - max);
    Iterator<Map.Entry<Statement, Boolean>> it = prepared.entrySet().iterator();
    while (prepared.size() > Math.max(max, 1) && it.hasNext()) {
      Statement eldest = it.next().getKey();
      if (eldest != s) {
        it.remove();
        evicted.add(eldest);
      }
    }
    return evicted;
  }

  void remove(Statement s) {
    prepared.remove(s);
  }

  void clear() {
    prepared.clear();
  }

  int size() {
    return prepared.size();
  }
}
