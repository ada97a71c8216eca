package dev.breakwater.server.sql;

import dev.breakwater.server.sql.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * A tokenizer that follows PostgreSQL's lexical rules (src/backend/parser/scan.l, PostgreSQL 17):
 * whitespace and comments ({@code --} to the end of the line, nested {@code /* ... *}{@code /}) are
 * skipped; unquoted identifiers and keywords are folded to lower case; {@code "..."} and
 * {@code U&"..."} identifiers keep their case; identifiers are truncated to 63 bytes like
 * NAMEDATALEN; string literals ({@code '...'} with {@code ''}, {@code E'...'} with backslash
 * escapes, {@code U&'...'} with an optional {@code UESCAPE}, {@code $tag$...$tag$}, and
 * continuation of a literal across a newline) are decoded to their value ({@link StringLiterals}
 * reads those).
 *
 * <p>The lexer never throws. Input that PostgreSQL would reject while lexing (an unterminated
 * string, quoted identifier or comment, a bad escape, trailing junk after a number) ends the token
 * stream and sets {@link #failed()}: PostgreSQL rejects the whole query string in that case, so no
 * statement in it runs.
 */
public final class SqlLexer {

  /** PostgreSQL's NAMEDATALEN - 1: identifiers longer than this many bytes are truncated. */
  static final int MAX_IDENTIFIER_BYTES = 63;

  // Package-private for StringLiterals, which reads the literals from this position.
  final String sql;
  final int length;
  final boolean standardConformingStrings;
  int pos;
  boolean failed;

  /** A lexer with {@code standard_conforming_strings} on, PostgreSQL's default since 9.1. */
  public SqlLexer(String sql) {
    this(sql, true);
  }

  /**
   * A lexer for {@code sql}. With {@code standardConformingStrings} off, {@code '...'} literals
   * take backslash escapes like {@code E'...'} and {@code U&'...'} is an error.
   */
  public SqlLexer(String sql, boolean standardConformingStrings) {
    this.sql = sql;
    this.length = sql.length();
    this.standardConformingStrings = standardConformingStrings;
  }

  /** Every token of {@code sql}, up to the end or to the first lexical error. */
  public static List<Token> tokenize(String sql) {
    SqlLexer lexer = new SqlLexer(sql);
    List<Token> tokens = new ArrayList<>();
    for (Token t = lexer.next(); t != null; t = lexer.next()) {
      tokens.add(t);
    }
    return tokens;
  }

  /** Whether the lexer stopped on input PostgreSQL would reject (see the class comment). */
  public boolean failed() {
    return failed;
  }

  /** The next token, or null at the end of the input or after a lexical error. */
  public Token next() {
    if (failed) {
      return null;
    }
    skipWhitespaceAndComments();
    if (failed || pos >= length) {
      return null;
    }
    int start = pos;
    char c = sql.charAt(pos);
    char c1 = charAt(pos + 1);
    switch (c) {
      case ';':
        pos++;
        return new Token(Kind.SEMICOLON, ";", start, pos);
      case '\'':
        pos++;
        return standardConformingStrings
            ? StringLiterals.standardString(this, start)
            : StringLiterals.escapeString(this, start);
      case '"':
        pos++;
        return quotedIdentifier(start, false);
      case '$':
        if (isDigit(c1)) {
          return parameter(start);
        }
        return StringLiterals.dollarQuoted(this, start);
      case '.':
        if (isDigit(c1)) {
          return number(start);
        }
        if (c1 == '.') {
          pos += 2;
          return new Token(Kind.OPERATOR, "..", start, pos);
        }
        pos++;
        return new Token(Kind.OPERATOR, ".", start, pos);
      case ':':
        if (c1 == ':' || c1 == '=') {
          pos += 2;
          return new Token(Kind.OPERATOR, sql.substring(start, pos), start, pos);
        }
        pos++;
        return new Token(Kind.OPERATOR, ":", start, pos);
      case ',':
      case '(':
      case ')':
      case '[':
      case ']':
        pos++;
        return new Token(Kind.OPERATOR, String.valueOf(c), start, pos);
      default:
        break;
    }
    if (isDigit(c)) {
      return number(start);
    }
    if (isIdentStart(c)) {
      if (c1 == '\'') {
        switch (c) {
          case 'e':
          case 'E':
            pos += 2;
            return StringLiterals.escapeString(this, start);
          case 'b':
          case 'B':
            pos += 2;
            return StringLiterals.bitString(this, start, true);
          case 'x':
          case 'X':
            pos += 2;
            return StringLiterals.bitString(this, start, false);
          default:
            break;
        }
      }
      if ((c == 'u' || c == 'U') && c1 == '&') {
        char c2 = charAt(pos + 2);
        if (c2 == '\'') {
          pos += 3;
          return StringLiterals.unicodeString(this, start);
        }
        if (c2 == '"') {
          pos += 3;
          return quotedIdentifier(start, true);
        }
      }
      return identifier(start);
    }
    if (isOpChar(c)) {
      return operator(start);
    }
    // Anything else ({@code \}, braces, control characters) is a syntax error for the parser,
    // not for the lexer: one character.
    pos += Character.charCount(sql.codePointAt(pos));
    return new Token(Kind.OPERATOR, sql.substring(start, pos), start, pos);
  }

  // ---------------------------------------------------------------------------------------------
  // Whitespace and comments

  void skipWhitespaceAndComments() {
    while (pos < length) {
      char c = sql.charAt(pos);
      if (isSpace(c)) {
        pos++;
      } else if (c == '-' && charAt(pos + 1) == '-') {
        skipLineComment();
      } else if (c == '/' && charAt(pos + 1) == '*') {
        if (!skipBlockComment()) {
          fail();
          return;
        }
      } else {
        return;
      }
    }
  }

  private void skipLineComment() {
    pos += 2;
    while (pos < length && !isNewline(sql.charAt(pos))) {
      pos++;
    }
  }

  /** Skips a nested block comment starting at pos; false if it is not terminated. */
  private boolean skipBlockComment() {
    int depth = 1;
    pos += 2;
    while (pos < length) {
      char c = sql.charAt(pos);
      char c1 = charAt(pos + 1);
      if (c == '/' && c1 == '*') {
        depth++;
        pos += 2;
      } else if (c == '*' && c1 == '/') {
        pos += 2;
        if (--depth == 0) {
          return true;
        }
      } else {
        pos++;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Identifiers

  private Token identifier(int start) {
    pos++;
    while (pos < length && isIdentCont(sql.charAt(pos))) {
      pos++;
    }
    String folded = foldCase(sql, start, pos);
    return new Token(Kind.IDENTIFIER, truncate(folded), start, pos);
  }

  /** {@code "..."} or {@code U&"..."}, with pos just after the opening quote. */
  private Token quotedIdentifier(int start, boolean unicode) {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int close = sql.indexOf('"', pos);
      if (close < 0) {
        return fail();
      }
      sb.append(sql, pos, close);
      pos = close + 1;
      if (charAt(pos) == '"') {
        sb.append('"');
        pos++;
      } else {
        break;
      }
    }
    if (sb.length() == 0) {
      return fail(); // zero-length delimited identifier
    }
    int end = pos;
    String value = sb.toString();
    if (unicode) {
      int escape = StringLiterals.uescape(this);
      if (escape < 0) {
        return fail();
      }
      value = StringLiterals.decodeUnicodeEscapes(sb, (char) escape);
      if (value == null || value.isEmpty()) {
        return fail();
      }
    }
    return new Token(Kind.QUOTED_IDENTIFIER, truncate(value), start, end);
  }

  // ---------------------------------------------------------------------------------------------
  // Numbers, parameters, operators

  /**
   * A numeric literal (PostgreSQL 16+: {@code 0x}/{@code 0o}/{@code 0b} prefixes and {@code _}
   * separators). Junk right after a number is an error, as in PostgreSQL 15+.
   */
  private Token number(int start) {
    char c = sql.charAt(pos);
    char c1 = charAt(pos + 1);
    if (c == '0' && (c1 == 'x' || c1 == 'X' || c1 == 'o' || c1 == 'O' || c1 == 'b' || c1 == 'B')) {
      int radix = (c1 == 'x' || c1 == 'X') ? 16 : (c1 == 'o' || c1 == 'O') ? 8 : 2;
      pos += 2;
      int digits = 0;
      while (true) {
        int p = pos;
        if (charAt(p) == '_') {
          p++;
        }
        if (Character.digit(charAt(p), radix) < 0 || charAt(p) > 0x7f) {
          break;
        }
        pos = p + 1;
        digits++;
      }
      if (digits == 0) {
        return fail();
      }
    } else {
      if (c != '.') {
        decimalDigits();
      }
      if (charAt(pos) == '.' && charAt(pos + 1) != '.') {
        pos++;
        if (isDigit(charAt(pos))) {
          decimalDigits();
        }
      }
      char e = charAt(pos);
      if (e == 'e' || e == 'E') {
        pos++;
        if (charAt(pos) == '+' || charAt(pos) == '-') {
          pos++;
        }
        if (!isDigit(charAt(pos))) {
          return fail();
        }
        decimalDigits();
      }
    }
    if (pos < length && isIdentStart(sql.charAt(pos))) {
      return fail(); // trailing junk after numeric literal
    }
    return new Token(Kind.NUMBER, sql.substring(start, pos), start, pos);
  }

  /** digit (_? digit)*, with pos at a digit. */
  private void decimalDigits() {
    pos++;
    while (true) {
      int p = pos;
      if (charAt(p) == '_') {
        p++;
      }
      if (!isDigit(charAt(p))) {
        return;
      }
      pos = p + 1;
    }
  }

  private Token parameter(int start) {
    pos++;
    while (isDigit(charAt(pos))) {
      pos++;
    }
    if (pos < length && isIdentStart(sql.charAt(pos))) {
      return fail(); // trailing junk after parameter
    }
    return new Token(Kind.PARAMETER, sql.substring(start, pos), start, pos);
  }

  /**
   * A run of operator characters, cut before an embedded comment start, and without trailing
   * {@code +}/{@code -} unless it holds a character that SQL operators do not use (scan.l).
   */
  private Token operator(int start) {
    int end = pos;
    while (end < length && isOpChar(sql.charAt(end))) {
      char c = sql.charAt(end);
      if (end > start && ((c == '*' && sql.charAt(end - 1) == '/')
          || (c == '-' && sql.charAt(end - 1) == '-'))) {
        end--; // the comment starts one character back
        break;
      }
      end++;
    }
    int n = end - start;
    if (n > 1 && (sql.charAt(end - 1) == '+' || sql.charAt(end - 1) == '-')) {
      boolean special = false;
      for (int i = start; i < end - 1; i++) {
        if ("~!@#^&|`?%".indexOf(sql.charAt(i)) >= 0) {
          special = true;
          break;
        }
      }
      if (!special) {
        do {
          end--;
        } while (end - start > 1 && (sql.charAt(end - 1) == '+' || sql.charAt(end - 1) == '-'));
      }
    }
    pos = end;
    return new Token(Kind.OPERATOR, sql.substring(start, end), start, end);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** Marks the input as rejected and ends the token stream; returns null, for the caller. */
  Token fail() {
    failed = true;
    pos = length;
    return null;
  }

  /** The char at {@code i}, or {@code \0} past the end. */
  char charAt(int i) {
    return i < length ? sql.charAt(i) : '\0';
  }

  /** Lower-cases ASCII letters only, like PostgreSQL's downcase_identifier in UTF-8. */
  static String foldCase(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c >= 'A' && c <= 'Z') {
        char[] chars = s.substring(from, to).toCharArray();
        for (int j = i - from; j < chars.length; j++) {
          char d = chars[j];
          if (d >= 'A' && d <= 'Z') {
            chars[j] = (char) (d + ('a' - 'A'));
          }
        }
        return new String(chars);
      }
    }
    return s.substring(from, to);
  }

  /** Truncates to {@value #MAX_IDENTIFIER_BYTES} bytes of UTF-8 on a character boundary. */
  static String truncate(String identifier) {
    if (identifier.length() <= MAX_IDENTIFIER_BYTES / 4) {
      return identifier;
    }
    int bytes = 0;
    for (int i = 0; i < identifier.length(); ) {
      int cp = identifier.codePointAt(i);
      int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + n > MAX_IDENTIFIER_BYTES) {
        return identifier.substring(0, i);
      }
      bytes += n;
      i += Character.charCount(cp);
    }
    return identifier;
  }

  static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
  }

  static boolean isNewline(char c) {
    return c == '\n' || c == '\r';
  }

  static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /** scan.l ident_start: {@code [A-Za-z\200-\377_]}; every non-ASCII char counts. */
  static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }

  /** scan.l ident_cont: ident_start, digits and {@code $}. */
  static boolean isIdentCont(char c) {
    return isIdentStart(c) || isDigit(c) || c == '$';
  }

  /** scan.l op_chars. */
  private static boolean isOpChar(char c) {
    return "~!@#^&|`?+-*/%<>=".indexOf(c) >= 0;
  }
}
