package dev.breakwater.server;

/**
 * Text a client chose (a database or user name, a startup option), made safe for one log line:
 * line breaks and other control characters are written as escapes ({@code \n}, {@code \r},
 * {@code \t}, {@code \x1b}, {@code \u2028}), so that a name cannot end the line and forge another.
 */
public final class LogText {

  /** {@code s} with control characters escaped; {@code s} itself when it has none. */
  public static String escape(String s) {
    if (s == null) {
      return null;
    }
    int i = 0;
    while (i < s.length() && !escaped(s.charAt(i))) {
      i++;
    }
    if (i == s.length()) {
      return s;
    }
    StringBuilder b = new StringBuilder(s.length() + 8).append(s, 0, i);
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!escaped(c)) {
        b.append(c);
      } else if (c == '\n') {
        b.append("\\n");
      } else if (c == '\r') {
        b.append("\\r");
      } else if (c == '\t') {
        b.append("\\t");
      } else if (c < 0x100) {
        b.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 0xf, 16));
      } else {
        b.append(String.format("\\u%04x", (int) c));
      }
    }
    return b.toString();
  }

  /** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
  private static boolean escaped(char c) {
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == '\u2028' || c == '\u2029';
  }

  private LogText() {}
}
