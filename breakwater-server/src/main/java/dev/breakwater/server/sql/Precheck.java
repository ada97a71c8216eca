package dev.breakwater.server.sql;

/**
 * The allocation-free pre-check over a query's UTF-8 bytes that spares most queries the lexer:
 * false means the query certainly has no effects. See {@link #mightHaveEffects}.
 */
final class Precheck {

  private Precheck() {}

  /**
   * Whether the query in {@code utf8[offset, offset + length)} might have effects; false means it
   * certainly has none. Allocation-free: looks at each word once. A statement keyword (SET, RESET,
   * DISCARD, BEGIN, START, COMMIT, END, ABORT, ROLLBACK, SAVEPOINT, RELEASE, PREPARE, DEALLOCATE,
   * DECLARE, CLOSE, LISTEN, UNLISTEN, LOAD, DROP, DO, CALL) counts only where a statement could
   * start: at the beginning, after a semicolon, a comment or a newline (so {@code UPDATE t SET
   * ...} on one line does not). Anywhere count: TEMP, TEMPORARY, words starting with pg_temp,
   * words containing "advisory" or "set_config" (all the functions of interest have an
   * underscore), {@code U&} (an escaped identifier could spell anything), and a name followed by
   * {@code (} that may call a function not known to be harmless ({@link FunctionCalls}).
   */
  static boolean mightHaveEffects(byte[] utf8, int offset, int length) {
    int n = offset + length;
    int i = offset;
    // The last word, and the word before its qualified name (blanks only between): for calls.
    int lastStart = -1;
    int lastEnd = -1;
    int lastBefore = -1;
    int lastBeforeLen = 0;
    boolean lineComment = false;
    while (i < n) {
      int c = utf8[i] & 0xFF;
      if (!isWordChar((char) c)) {
        if (c == '&' && i > offset && (utf8[i - 1] | 0x20) == 'u') {
          return true;
        }
        if (c == '"' && quotedCall(utf8, i, n)) {
          return true;
        }
        // A word inside a comment is no word before a call: forget it at the comment's end
        // (and at its start), as the lexer drops comments.
        if (c == '-' && i + 1 < n && utf8[i + 1] == '-') {
          lineComment = true;
          lastStart = -1;
        } else if ((c == '\n' || c == '\r') && lineComment) {
          lineComment = false;
          lastStart = -1;
        } else if ((c == '/' && i + 1 < n && utf8[i + 1] == '*') || (c == '*' && i + 1 < n && utf8[i + 1] == '/')) {
          lastStart = -1;
        }
        i++;
        continue;
      }
      int start = i;
      boolean underscore = false;
      while (i < n && isWordChar((char) (c = utf8[i] & 0xFF))) {
        underscore |= c == '_';
        i++;
      }
      int len = i - start;
      int dot = skipBlanksBack(utf8, offset, start);
      boolean qualified = dot > offset && utf8[dot - 1] == '.';
      int before = -1;
      int beforeLen = 0;
      if (qualified && lastStart >= 0 && blanks(utf8, lastEnd, dot - 1)) {
        before = lastBefore;
        beforeLen = lastBeforeLen;
      } else if (lastStart >= 0 && blanks(utf8, lastEnd, start)) {
        before = lastStart;
        beforeLen = lastEnd - lastStart;
      }
      lastStart = start;
      lastEnd = i;
      lastBefore = before;
      lastBeforeLen = beforeLen;
      int next = skipBlanks(utf8, i, n);
      if (next < n && utf8[next] == '('
          && FunctionCalls.mightCall(utf8, start, len, before, beforeLen, qualified)
          && !(FunctionCalls.isWord(utf8, start, len, "conflict") && beforeLen == 2
              && FunctionCalls.isWord(utf8, before, 2, "on") && FunctionCalls.followedByDo(utf8, next, n))) {
        return true;
      }
      if (len >= 7 && (underscore || len == 9) && anywhereWord(utf8, start, len)) {
        return true;
      }
      if (len >= 2 && len <= 10 && couldStartStatement(utf8, offset, start)
          && statementKeyword(utf8, start, len)) {
        return true;
      }
      if (len == 4 && matches(utf8, start, "temp")) {
        return true;
      }
    }
    return false;
  }

  private static boolean isWordChar(char c) {
    return c >= 0x80 || WORD_CHARS[c];
  }

  /** scan.l ident_cont for ASCII: letters, digits, '_' and '$'. */
  private static final boolean[] WORD_CHARS = new boolean[128];

  static {
    for (char c = 0; c < 128; c++) {
      WORD_CHARS[c] = SqlLexer.isIdentCont(c);
    }
  }

  /** TEMPORARY, pg_temp..., or a word holding "advisory" or "set_config". */
  private static boolean anywhereWord(byte[] s, int start, int len) {
    return matches(s, start, "pg_temp") || (len == 9 && matches(s, start, "temporary"))
        || contains(s, start, len, "advisory") || contains(s, start, len, "set_config");
  }

  private static boolean statementKeyword(byte[] s, int start, int len) {
    return switch (len) {
      case 2 -> matches(s, start, "do");
      case 3 -> matches(s, start, "set") || matches(s, start, "end");
      case 4 -> matches(s, start, "load") || matches(s, start, "drop") || matches(s, start, "call");
      case 5 -> matches(s, start, "reset") || matches(s, start, "begin")
          || matches(s, start, "start") || matches(s, start, "abort") || matches(s, start, "close");
      case 6 -> matches(s, start, "commit") || matches(s, start, "listen");
      case 7 -> matches(s, start, "discard") || matches(s, start, "prepare")
          || matches(s, start, "release") || matches(s, start, "declare");
      case 8 -> matches(s, start, "rollback") || matches(s, start, "unlisten");
      case 9 -> matches(s, start, "savepoint");
      case 10 -> matches(s, start, "deallocate");
      default -> false;
    };
  }

  /** Whether only blanks (or nothing) lie in {@code s[from, to)}. */
  private static boolean blanks(byte[] s, int from, int to) {
    for (int k = from; k < to; k++) {
      byte c = s[k];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x0B) {
        return false;
      }
    }
    return true;
  }

  /** Past blanks and comments (a call may be written {@code f /* c *\/ (x)}). */
  private static int skipBlanks(byte[] s, int from, int to) {
    int k = from;
    while (k < to) {
      byte c = s[k];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B) {
        k++;
      } else if (c == '-' && k + 1 < to && s[k + 1] == '-') {
        while (k < to && s[k] != '\n' && s[k] != '\r') {
          k++;
        }
      } else if (c == '/' && k + 1 < to && s[k + 1] == '*') {
        int depth = 1;
        k += 2;
        while (k < to && depth > 0) {
          if (s[k] == '*' && k + 1 < to && s[k + 1] == '/') {
            depth--;
            k += 2;
          } else if (s[k] == '/' && k + 1 < to && s[k + 1] == '*') {
            depth++;
            k += 2;
          } else {
            k++;
          }
        }
      } else {
        break;
      }
    }
    return k;
  }

  /** The index after the last non-blank byte before {@code end} (back past blanks only). */
  private static int skipBlanksBack(byte[] s, int offset, int end) {
    int k = end;
    while (k > offset) {
      byte c = s[k - 1];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == 0x0B) {
        k--;
      } else {
        break;
      }
    }
    return k;
  }

  /** A quoted identifier at {@code s[quote]} followed by '(': a call of a function so named. */
  private static boolean quotedCall(byte[] s, int quote, int to) {
    for (int k = quote + 1; k < to; k++) {
      if (s[k] == '"') {
        int next = skipBlanks(s, k + 1, to);
        return next < to && s[next] == '(';
      }
    }
    return false;
  }

  private static boolean couldStartStatement(byte[] s, int offset, int start) {
    for (int i = start - 1; i >= offset; i--) {
      byte c = s[i];
      if (c == ' ' || c == '\t' || c == '\f' || c == 0x0B) {
        continue;
      }
      return c == ';' || c == '\n' || c == '\r' || c == '/';
    }
    return true;
  }

  private static boolean matches(byte[] s, int start, String lower) {
    if (start + lower.length() > s.length) {
      return false;
    }
    for (int k = 0; k < lower.length(); k++) {
      int c = s[start + k];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != lower.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  private static boolean contains(byte[] s, int start, int len, String lower) {
    for (int k = start; k + lower.length() <= start + len; k++) {
      if (matches(s, k, lower)) {
        return true;
      }
    }
    return false;
  }
}
