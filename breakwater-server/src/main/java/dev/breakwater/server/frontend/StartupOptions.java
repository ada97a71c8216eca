package dev.breakwater.server.frontend;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code options} startup parameter, as libpq sends it: command-line style switches for the
 * backend, separated by spaces, with backslash escaping a space or a backslash. Only settings are
 * accepted ({@code -c name=value}, {@code -cname=value}, {@code --name=value}); they are kept per
 * client and applied to whichever server it is lent, like any tracked setting.
 */
final class StartupOptions {

  /** PgBouncer's words for options that are not settings, which scripts may match on. */
  static final String UNSUPPORTED =
      "unsupported options startup parameter: only '-c config=val' and '--config=val' are allowed";

  static Map<String, String> parse(String options) {
    Map<String, String> settings = new LinkedHashMap<>();
    String[] words = split(options);
    for (int i = 0; i < words.length; i++) {
      String w = words[i];
      String setting;
      if (w.equals("-c")) {
        if (i + 1 >= words.length) {
          throw new IllegalArgumentException(UNSUPPORTED + " (-c without a setting)");
        }
        setting = words[++i];
      } else if (w.startsWith("-c")) {
        setting = w.substring(2);
      } else if (w.startsWith("--")) {
        setting = w.substring(2);
      } else {
        throw new IllegalArgumentException(UNSUPPORTED + " (got \"" + w + "\")");
      }
      int eq = setting.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(UNSUPPORTED + " (\"" + setting + "\" has no value)");
      }
      String name = setting.substring(0, eq).replace('-', '_').toLowerCase(Locale.ROOT);
      settings.put(name, setting.substring(eq + 1));
    }
    return settings;
  }

  private static String[] split(String s) {
    java.util.List<String> words = new java.util.ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inWord = false;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 1 < s.length()) {
        cur.append(s.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
      } else {
        cur.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(cur.toString());
    }
    return words.toArray(new String[0]);
  }

  private StartupOptions() {}
}
