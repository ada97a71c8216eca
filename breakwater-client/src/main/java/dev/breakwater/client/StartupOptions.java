package dev.breakwater.client;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code options} startup parameter: command-line switches for the server process that serves
 * this connection, such as {@code -c statement_timeout=30000}. Settings passed here belong to the
 * connection from its first message, so a pooler can see them and restore them on whichever server
 * it lends; a {@code SET} sent later cannot be told apart from the client's other traffic.
 */
final class StartupOptions {

  /** The options with any statement_timeout switch replaced by ours. */
  static String withStatementTimeout(String options, long millis) {
    List<String> kept = new ArrayList<>();
    List<String> tokens = tokens(options);
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      if (t.equals("-c") && i + 1 < tokens.size() && isStatementTimeout(tokens.get(i + 1))) {
        i++;
      } else if ((t.startsWith("-c") || t.startsWith("--")) && isStatementTimeout(t.substring(2))) {
        continue;
      } else {
        kept.add(t);
      }
    }
    kept.add("-c");
    kept.add("statement_timeout=" + millis);
    return String.join(" ", kept);
  }

  static boolean setsStatementTimeout(String options) {
    for (String t : tokens(options)) {
      String s = t.startsWith("-c") || t.startsWith("--") ? t.substring(2) : t;
      if (isStatementTimeout(s)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isStatementTimeout(String assignment) {
    String a = assignment.replace('-', '_');
    return a.startsWith("statement_timeout=");
  }

  private static List<String> tokens(String options) {
    List<String> out = new ArrayList<>();
    if (options == null) {
      return out;
    }
    for (String t : options.trim().split("\\s+")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  private StartupOptions() {}
}
