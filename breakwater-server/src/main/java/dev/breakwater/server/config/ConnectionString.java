package dev.breakwater.server.config;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads PgBouncer's connection strings, the values of {@code [databases]}, {@code [users]} and
 * {@code [peers]} lines: {@code key=value} pairs separated by spaces. A value containing spaces is
 * quoted with single quotes, and a quote inside is doubled: {@code connect_query='SELECT ''x'''}.
 *
 * <p>As in PgBouncer, a backslash is an ordinary character (libpq's {@code \'} escape is not
 * understood, so {@code 'C:\dir\'} means {@code C:\dir\}), and empty values are refused.
 */
final class ConnectionString {
  private ConnectionString() {}

  /** One {@code key=value}; the key is lower-cased. */
  record Pair(String key, String value) {}

  /** A string that does not follow the syntax; the message says what was expected. */
  static final class SyntaxError extends Exception {
    private static final long serialVersionUID = 1L;
    final String key;

    SyntaxError(String key, String message) {
      super(message, null, false, false);
      this.key = key;
    }
  }

  static List<Pair> parse(String text) throws SyntaxError {
    List<Pair> pairs = new ArrayList<>();
    int i = skipSpace(text, 0);
    while (i < text.length()) {
      int keyStart = i;
      while (i < text.length()
          && text.charAt(i) != '='
          && !Character.isWhitespace(text.charAt(i))) {
        i++;
      }
      String key = text.substring(keyStart, i);
      i = skipSpace(text, i);
      if (key.isEmpty()) {
        throw new SyntaxError(null, "expected key=value, found \"" + rest(text, keyStart) + "\"");
      }
      if (i >= text.length() || text.charAt(i) != '=') {
        throw new SyntaxError(key, "expected \"=\" after \"" + key + "\"");
      }
      i = skipSpace(text, i + 1);
      String value;
      if (i < text.length() && text.charAt(i) == '\'') {
        StringBuilder sb = new StringBuilder();
        i++;
        while (true) {
          if (i >= text.length()) {
            throw new SyntaxError(key, key + ": quoted value has no closing quote");
          }
          char c = text.charAt(i);
          if (c == '\'') {
            if (i + 1 < text.length() && text.charAt(i + 1) == '\'') {
              sb.append('\'');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          sb.append(c);
          i++;
        }
        if (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
          throw new SyntaxError(
              key, key + ": expected a space after the closing quote, found \"" + rest(text, i)
                  + "\"");
        }
        value = sb.toString();
      } else {
        int valueStart = i;
        while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
          i++;
        }
        value = text.substring(valueStart, i);
      }
      if (value.isEmpty()) {
        throw new SyntaxError(key, key + ": empty value (leave the key out instead)");
      }
      pairs.add(new Pair(key.toLowerCase(java.util.Locale.ROOT), value));
      i = skipSpace(text, i);
    }
    return pairs;
  }

  private static int skipSpace(String text, int i) {
    while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
      i++;
    }
    return i;
  }

  private static String rest(String text, int from) {
    String rest = text.substring(from);
    return rest.length() > 30 ? rest.substring(0, 30) + "..." : rest;
  }
}
