package dev.breakwater.server.sql;

import dev.breakwater.server.sql.Token.Kind;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The string literals of scan.l, read for {@link SqlLexer} from its position: {@code '...'} with
 * {@code ''}, {@code E'...'} with backslash escapes, {@code U&'...'} with an optional
 * {@code UESCAPE}, {@code B'...'} and {@code X'...'} bit strings, {@code $tag$...$tag$}, and the
 * continuation of a literal across a newline. Each method takes the lexer (static, so that
 * lexing allocates nothing more than the tokens) and returns the token, or null after marking the
 * lexer failed.
 */
final class StringLiterals {

  private StringLiterals() {}

  /**
   * After the closing quote of a string literal: if what follows is whitespace that includes a
   * newline and then another quote, SQL says the two literals are one; consumes up to and
   * including that quote and returns true. scan.l: {@code {whitespace_with_newline}{quote}},
   * where only {@code --} comments may appear in that whitespace.
   */
  private static boolean quoteContinues(SqlLexer lx) {
    String sql = lx.sql;
    int p = lx.pos;
    boolean newline = false;
    while (p < lx.length) {
      char c = sql.charAt(p);
      if (SqlLexer.isNewline(c)) {
        newline = true;
        p++;
      } else if (SqlLexer.isSpace(c)) {
        p++;
      } else if (c == '-' && lx.charAt(p + 1) == '-') {
        p += 2;
        while (p < lx.length && !SqlLexer.isNewline(sql.charAt(p))) {
          p++;
        }
        if (p >= lx.length) {
          return false; // a comment must end with a newline here
        }
      } else if (c == '\'' && newline) {
        lx.pos = p + 1;
        return true;
      } else {
        return false;
      }
    }
    return false;
  }

  /** {@code '...'} with standard_conforming_strings on: {@code ''} is a quote. */
  static Token standardString(SqlLexer lx, int start) {
    StringBuilder sb = new StringBuilder();
    if (!quotedBody(lx, sb)) {
      return lx.fail();
    }
    return new Token(Kind.STRING, sb.toString(), start, lx.pos);
  }

  /**
   * Reads the body of a {@code '...'} literal without backslash escapes, with pos just after the
   * opening quote, into sb; handles {@code ''} and continuations. False if unterminated.
   */
  private static boolean quotedBody(SqlLexer lx, StringBuilder sb) {
    String sql = lx.sql;
    while (true) {
      int close = sql.indexOf('\'', lx.pos);
      if (close < 0) {
        lx.pos = lx.length;
        return false;
      }
      sb.append(sql, lx.pos, close);
      lx.pos = close + 1;
      if (lx.charAt(lx.pos) == '\'') {
        sb.append('\'');
        lx.pos++;
      } else if (!quoteContinues(lx)) {
        return true;
      }
    }
  }

  /** {@code E'...'}: backslash escapes, with pos just after the opening quote. */
  static Token escapeString(SqlLexer lx, int start) {
    String sql = lx.sql;
    StringBuilder sb = new StringBuilder();
    ByteCollector bytes = new ByteCollector();
    while (true) {
      if (lx.pos >= lx.length) {
        return lx.fail();
      }
      char c = sql.charAt(lx.pos);
      if (c == '\'') {
        if (lx.charAt(lx.pos + 1) == '\'') {
          if (!bytes.flushInto(sb)) {
            return lx.fail();
          }
          sb.append('\'');
          lx.pos += 2;
          continue;
        }
        lx.pos++;
        if (quoteContinues(lx)) {
          continue;
        }
        if (!bytes.flushInto(sb)) {
          return lx.fail();
        }
        return new Token(Kind.STRING, sb.toString(), start, lx.pos);
      }
      if (c != '\\') {
        if (!bytes.flushInto(sb)) {
          return lx.fail();
        }
        sb.append(c);
        lx.pos++;
        continue;
      }
      if (lx.pos + 1 >= lx.length) {
        return lx.fail();
      }
      char e = sql.charAt(lx.pos + 1);
      lx.pos += 2;
      if (e >= '0' && e <= '7') {
        int v = e - '0';
        for (int k = 0; k < 2 && isOctal(lx.charAt(lx.pos)); k++) {
          v = v * 8 + (sql.charAt(lx.pos++) - '0');
        }
        if (!bytes.add(v & 0xFF)) {
          return lx.fail();
        }
        continue;
      }
      if (e == 'x' && hexValue(lx.charAt(lx.pos)) >= 0) {
        int v = hexValue(sql.charAt(lx.pos++));
        if (hexValue(lx.charAt(lx.pos)) >= 0) {
          v = v * 16 + hexValue(sql.charAt(lx.pos++));
        }
        if (!bytes.add(v)) {
          return lx.fail();
        }
        continue;
      }
      if (!bytes.flushInto(sb)) {
        return lx.fail();
      }
      switch (e) {
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u', 'U' -> {
          if (!unicodeEscape(lx, sb, e == 'u' ? 4 : 8)) {
            return lx.fail();
          }
        }
        default -> sb.append(e);
      }
    }
  }

  /**
   * Reads the hex digits of a {@code \}{@code u} / {@code \U} escape in an E'' string and appends
   * the code point; a UTF-16 high surrogate must be followed by another escape with the low one.
   */
  private static boolean unicodeEscape(SqlLexer lx, StringBuilder sb, int digits) {
    int cp = hexDigits(lx.sql, lx.pos, digits);
    if (cp < 0) {
      return false;
    }
    lx.pos += digits;
    if (Character.isHighSurrogate((char) cp) && cp <= 0xFFFF) {
      if (lx.charAt(lx.pos) != '\\'
          || (lx.charAt(lx.pos + 1) != 'u' && lx.charAt(lx.pos + 1) != 'U')) {
        return false;
      }
      int n = lx.charAt(lx.pos + 1) == 'u' ? 4 : 8;
      int low = hexDigits(lx.sql, lx.pos + 2, n);
      if (low < 0 || low > 0xFFFF || !Character.isLowSurrogate((char) low)) {
        return false;
      }
      lx.pos += 2 + n;
      cp = Character.toCodePoint((char) cp, (char) low);
    }
    return appendCodePoint(sb, cp);
  }

  /** {@code U&'...'}: the body is read like a standard string, then decoded. */
  static Token unicodeString(SqlLexer lx, int start) {
    if (!lx.standardConformingStrings) {
      return lx.fail();
    }
    StringBuilder raw = new StringBuilder();
    if (!quotedBody(lx, raw)) {
      return lx.fail();
    }
    int end = lx.pos;
    int escape = uescape(lx);
    if (escape < 0) {
      return lx.fail();
    }
    String value = decodeUnicodeEscapes(raw, (char) escape);
    if (value == null) {
      return lx.fail();
    }
    return new Token(Kind.STRING, value, start, end);
  }

  /** {@code B'...'} / {@code X'...'}: the digits, unchecked (the type input function checks). */
  static Token bitString(SqlLexer lx, int start, boolean binary) {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int close = lx.sql.indexOf('\'', lx.pos);
      if (close < 0) {
        return lx.fail();
      }
      sb.append(lx.sql, lx.pos, close);
      lx.pos = close + 1;
      if (!quoteContinues(lx)) {
        return new Token(Kind.BIT_STRING, (binary ? "b" : "x") + sb, start, lx.pos);
      }
    }
  }

  /** {@code $tag$...$tag$}, or a lone {@code $} when what follows is not a delimiter. */
  static Token dollarQuoted(SqlLexer lx, int start) {
    String sql = lx.sql;
    int p = lx.pos + 1;
    if (p < lx.length && isDollarTagStart(sql.charAt(p))) {
      p++;
      while (p < lx.length && isDollarTagCont(sql.charAt(p))) {
        p++;
      }
    }
    if (lx.charAt(p) != '$') {
      lx.pos++;
      return new Token(Kind.OPERATOR, "$", start, lx.pos);
    }
    String delimiter = sql.substring(start, p + 1);
    int bodyStart = p + 1;
    int close = sql.indexOf(delimiter, bodyStart);
    if (close < 0) {
      return lx.fail();
    }
    lx.pos = close + delimiter.length();
    return new Token(Kind.STRING, sql.substring(bodyStart, close), start, lx.pos);
  }

  /**
   * After a U& literal or identifier: consumes an optional {@code UESCAPE 'c'} and returns the
   * escape character ({@code \} by default), or -1 if the clause is there but invalid.
   */
  static int uescape(SqlLexer lx) {
    String sql = lx.sql;
    int save = lx.pos;
    lx.skipWhitespaceAndComments();
    if (lx.failed) {
      // An unterminated comment after the literal: let the next call report it.
      lx.failed = false;
      lx.pos = save;
      return '\\';
    }
    int wordStart = lx.pos;
    if (lx.pos < lx.length && SqlLexer.isIdentStart(sql.charAt(lx.pos))) {
      int p = lx.pos + 1;
      while (p < lx.length && SqlLexer.isIdentCont(sql.charAt(p))) {
        p++;
      }
      if (p - wordStart == 7 && sql.regionMatches(true, wordStart, "uescape", 0, 7)) {
        lx.pos = p;
        Token arg = lx.next();
        if (arg == null || arg.kind() != Kind.STRING || arg.text().length() != 1) {
          return -1;
        }
        char e = arg.text().charAt(0);
        if (hexValue(e) >= 0 || e == '+' || e == '\'' || e == '"' || SqlLexer.isSpace(e)) {
          return -1;
        }
        return e;
      }
    }
    lx.pos = save;
    return '\\';
  }

  /** Decodes the escapes of a U&'' string or U&"" identifier; null if one is invalid. */
  static String decodeUnicodeEscapes(CharSequence raw, char escape) {
    StringBuilder sb = new StringBuilder(raw.length());
    int n = raw.length();
    int pendingHigh = -1;
    for (int i = 0; i < n; ) {
      char c = raw.charAt(i);
      if (c != escape) {
        if (pendingHigh >= 0) {
          return null;
        }
        sb.append(c);
        i++;
        continue;
      }
      int cp;
      if (i + 1 < n && raw.charAt(i + 1) == escape) {
        if (pendingHigh >= 0) {
          return null;
        }
        sb.append(escape);
        i += 2;
        continue;
      } else if (i + 1 < n && raw.charAt(i + 1) == '+') {
        cp = hexDigits(raw, i + 2, 6);
        i += 8;
      } else {
        cp = hexDigits(raw, i + 1, 4);
        i += 5;
      }
      if (cp < 0) {
        return null;
      }
      if (pendingHigh >= 0) {
        if (cp > 0xFFFF || !Character.isLowSurrogate((char) cp)) {
          return null;
        }
        sb.appendCodePoint(Character.toCodePoint((char) pendingHigh, (char) cp));
        pendingHigh = -1;
      } else if (cp <= 0xFFFF && Character.isHighSurrogate((char) cp)) {
        pendingHigh = cp;
      } else if (!appendCodePoint(sb, cp)) {
        return null;
      }
    }
    return pendingHigh >= 0 ? null : sb.toString();
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The value of exactly {@code count} hex digits at {@code from}, or -1. */
  private static int hexDigits(CharSequence s, int from, int count) {
    if (from + count > s.length()) {
      return -1;
    }
    int v = 0;
    for (int i = from; i < from + count; i++) {
      int d = hexValue(s.charAt(i));
      if (d < 0) {
        return -1;
      }
      v = v * 16 + d;
    }
    return v;
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** Appends a code point from an escape; false for 0, surrogates and values out of range. */
  private static boolean appendCodePoint(StringBuilder sb, int cp) {
    if (cp <= 0 || cp > Character.MAX_CODE_POINT || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    sb.appendCodePoint(cp);
    return true;
  }

  private static boolean isOctal(char c) {
    return c >= '0' && c <= '7';
  }

  private static boolean isDollarTagStart(char c) {
    return SqlLexer.isIdentStart(c);
  }

  private static boolean isDollarTagCont(char c) {
    return SqlLexer.isIdentStart(c) || SqlLexer.isDigit(c);
  }

  /**
   * Bytes from octal and hex escapes of an E'' string, decoded as UTF-8 (the server encoding
   * Breakwater assumes) when other text follows; invalid UTF-8 or a zero byte is an error, as in
   * PostgreSQL.
   */
  private static final class ByteCollector {
    private byte[] bytes;
    private int count;

    boolean add(int b) {
      if (b == 0) {
        return false;
      }
      if (bytes == null) {
        bytes = new byte[8];
      } else if (count == bytes.length) {
        bytes = Arrays.copyOf(bytes, count * 2);
      }
      bytes[count++] = (byte) b;
      return true;
    }

    boolean flushInto(StringBuilder sb) {
      if (count == 0) {
        return true;
      }
      try {
        CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes, 0, count));
        sb.append(chars);
        count = 0;
        return true;
      } catch (CharacterCodingException e) {
        return false;
      }
    }
  }
}
