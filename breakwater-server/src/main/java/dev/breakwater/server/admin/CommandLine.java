package dev.breakwater.server.admin;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One console query, read with PgBouncer's grammar: {@code WORD [WORD] [;]}, or {@code SET key
 * = value} (also {@code TO}) with the value a word or a quoted string. A word is letters, digits
 * and underscores, or anything in double quotes ({@code ""} for a quote); case is ignored for the
 * command and kept for the argument.
 *
 * @param command the first word, lower case ({@code set} for SET)
 * @param argument the second word, or "" (the key for SET)
 * @param value the value for SET, else null
 */
record CommandLine(String command, String argument, String value) {

  private static final String WS0 = "[ \\t\\n\\r]*";
  private static final String WS1 = "[ \\t\\n\\r]+";
  // Unrolled and possessive ("run of non-quotes, then doubled quote and run, repeated"): an
  // alternation inside a repeated group recursed once per character and overflowed the stack on
  // a quoted word of a few thousand characters. After a closing quote the grammar never allows
  // another quote, so nothing is lost by not backtracking.
  private static final String WORD = "(\"(?=[^\"]|\"\")[^\"]*+(?:\"\"[^\"]*+)*+\"|[0-9A-Za-z_]++)";
  private static final String STRING = "('[^']*+(?:''[^']*+)*+')";
  private static final String END = WS0 + "(?:;" + WS0 + ")?$";

  private static final Pattern COMMAND =
      Pattern.compile("^" + WS0 + WORD + "(?:" + WS1 + WORD + ")?" + END);
  private static final Pattern SET =
      Pattern.compile(
          "^" + WS0 + "set" + WS1 + WORD + WS0 + "(?:=|to)" + WS0 + "(?:" + WORD + "|" + STRING + ")" + END,
          Pattern.CASE_INSENSITIVE);

  /** Reads a query; null when it follows neither form. */
  static CommandLine parse(String query) {
    Matcher set = SET.matcher(query);
    if (set.matches()) {
      String value = set.group(2) != null ? unquote(set.group(2), '"') : unquote(set.group(3), '\'');
      return new CommandLine("set", unquote(set.group(1), '"'), value);
    }
    Matcher m = COMMAND.matcher(query);
    if (m.matches()) {
      String arg = m.group(2) == null ? "" : unquote(m.group(2), '"');
      return new CommandLine(unquote(m.group(1), '"').toLowerCase(Locale.ROOT), arg, null);
    }
    return null;
  }

  private static String unquote(String s, char quote) {
    if (s.length() >= 2 && s.charAt(0) == quote && s.charAt(s.length() - 1) == quote) {
      String doubled = String.valueOf(quote) + quote;
      return s.substring(1, s.length() - 1).replace(doubled, String.valueOf(quote));
    }
    return s;
  }
}
