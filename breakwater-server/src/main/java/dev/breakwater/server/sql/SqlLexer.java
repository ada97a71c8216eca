package dev.breakwater.server.sql;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tokenizer that follows PostgreSQL's lexical rules (src/backend/parser/scan.l, PostgreSQL 17):
 * whitespace and comments ({@code --} to the end of the line, nested {@code /* ... *}{@code /}) are
 * skipped; unquoted identifiers and keywords are folded to lower case; {@code "..."} and
 * {@code U&"..."} identifiers keep their case; identifiers are truncated to 63 bytes like
 * NAMEDATALEN; string literals ({@code '...'} with {@code ''}, {@code E'...'} with backslash
 * escapes, {@code U&'...'} with an optional {@code UESCAPE}, {@code $tag$...$tag$}, and
 * continuation of a literal across a newline) are decoded to their value.
 *
 * <p>The lexer never throws. Input that PostgreSQL would reject while lexing (an unterminated
 * string, quoted identifier or comment, a bad escape, trailing junk after a number) ends the token
 * stream and sets {@link #failed()}: PostgreSQL rejects the whole query string in that case, so no
 * statement in it runs.
 */
public final class SqlLexer {

  /** The kind of a token. Keywords are {@link #IDENTIFIER}s: PostgreSQL decides in the grammar. */
  public enum Kind {
    /** An unquoted identifier or keyword, folded to lower case. */
    IDENTIFIER,
    /** A {@code "quoted"} or {@code U&"quoted"} identifier, as written (escapes decoded). */
    QUOTED_IDENTIFIER,
    /** A character string literal of any form, decoded. */
    STRING,
    /** A {@code B'0101'} or {@code X'1F'} bit string; the text is the digits. */
    BIT_STRING,
    /** A numeric literal, as written. */
    NUMBER,
    /** A positional parameter such as {@code $1}. */
    PARAMETER,
    /** An operator or punctuation: {@code ( ) , . :: = <> ||} and so on. */
    OPERATOR,
    /** A semicolon. */
    SEMICOLON
  }

  /**
   * A token: its kind, its text (see {@link Kind}) and where it came from in the input, as char
   * offsets {@code [start, end)}.
   */
  public record Token(Kind kind, String text, int start, int end) {

    /** Whether this is the unquoted word {@code word} (given in lower case). */
    public boolean isWord(String word) {
      return kind == Kind.IDENTIFIER && text.equals(word);
    }

    /** Whether this is the operator or punctuation {@code op}. */
    public boolean isOperator(String op) {
      return kind == Kind.OPERATOR && text.equals(op);
    }

    /** Whether this is an identifier, quoted or not. */
    public boolean isIdentifier() {
      return kind == Kind.IDENTIFIER || kind == Kind.QUOTED_IDENTIFIER;
    }
  }

  /** PostgreSQL's NAMEDATALEN - 1: identifiers longer than this many bytes are truncated. */
  static final int MAX_IDENTIFIER_BYTES = 63;

  private final String sql;
  private final int length;
  private final boolean standardConformingStrings;
  private int pos;
  private boolean failed;

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
            ? standardString(start)
            : escapeString(start);
      case '"':
        pos++;
        return quotedIdentifier(start, false);
      case '$':
        if (isDigit(c1)) {
          return parameter(start);
        }
        return dollarQuoted(start);
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
            return escapeString(start);
          case 'b':
          case 'B':
            pos += 2;
            return bitString(start, true);
          case 'x':
          case 'X':
            pos += 2;
            return bitString(start, false);
          default:
            break;
        }
      }
      if ((c == 'u' || c == 'U') && c1 == '&') {
        char c2 = charAt(pos + 2);
        if (c2 == '\'') {
          pos += 3;
          return unicodeString(start);
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

  private void skipWhitespaceAndComments() {
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

  /**
   * After the closing quote of a string literal: if what follows is whitespace that includes a
   * newline and then another quote, SQL says the two literals are one; consumes up to and
   * including that quote and returns true. scan.l: {@code {whitespace_with_newline}{quote}},
   * where only {@code --} comments may appear in that whitespace.
   */
  private boolean quoteContinues() {
    int p = pos;
    boolean newline = false;
    while (p < length) {
      char c = sql.charAt(p);
      if (isNewline(c)) {
        newline = true;
        p++;
      } else if (isSpace(c)) {
        p++;
      } else if (c == '-' && charAt(p + 1) == '-') {
        p += 2;
        while (p < length && !isNewline(sql.charAt(p))) {
          p++;
        }
        if (p >= length) {
          return false; // a comment must end with a newline here
        }
      } else if (c == '\'' && newline) {
        pos = p + 1;
        return true;
      } else {
        return false;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // String literals

  /** {@code '...'} with standard_conforming_strings on: {@code ''} is a quote. */
  private Token standardString(int start) {
    StringBuilder sb = new StringBuilder();
    if (!quotedBody(sb)) {
      return fail();
    }
    return new Token(Kind.STRING, sb.toString(), start, pos);
  }

  /**
   * Reads the body of a {@code '...'} literal without backslash escapes, with pos just after the
   * opening quote, into sb; handles {@code ''} and continuations. False if unterminated.
   */
  private boolean quotedBody(StringBuilder sb) {
    while (true) {
      int close = sql.indexOf('\'', pos);
      if (close < 0) {
        pos = length;
        return false;
      }
      sb.append(sql, pos, close);
      pos = close + 1;
      if (charAt(pos) == '\'') {
        sb.append('\'');
        pos++;
      } else if (!quoteContinues()) {
        return true;
      }
    }
  }

  /** {@code E'...'}: backslash escapes, with pos just after the opening quote. */
  private Token escapeString(int start) {
    StringBuilder sb = new StringBuilder();
    ByteCollector bytes = new ByteCollector();
    while (true) {
      if (pos >= length) {
        return fail();
      }
      char c = sql.charAt(pos);
      if (c == '\'') {
        if (charAt(pos + 1) == '\'') {
          if (!bytes.flushInto(sb)) {
            return fail();
          }
          sb.append('\'');
          pos += 2;
          continue;
        }
        pos++;
        if (quoteContinues()) {
          continue;
        }
        if (!bytes.flushInto(sb)) {
          return fail();
        }
        return new Token(Kind.STRING, sb.toString(), start, pos);
      }
      if (c != '\\') {
        if (!bytes.flushInto(sb)) {
          return fail();
        }
        sb.append(c);
        pos++;
        continue;
      }
      if (pos + 1 >= length) {
        return fail();
      }
      char e = sql.charAt(pos + 1);
      pos += 2;
      if (e >= '0' && e <= '7') {
        int v = e - '0';
        for (int k = 0; k < 2 && isOctal(charAt(pos)); k++) {
          v = v * 8 + (sql.charAt(pos++) - '0');
        }
        if (!bytes.add(v & 0xFF)) {
          return fail();
        }
        continue;
      }
      if (e == 'x' && hexValue(charAt(pos)) >= 0) {
        int v = hexValue(sql.charAt(pos++));
        if (hexValue(charAt(pos)) >= 0) {
          v = v * 16 + hexValue(sql.charAt(pos++));
        }
        if (!bytes.add(v)) {
          return fail();
        }
        continue;
      }
      if (!bytes.flushInto(sb)) {
        return fail();
      }
      switch (e) {
        case 'b' -> sb.append('\b');
        case 'f' -> sb.append('\f');
        case 'n' -> sb.append('\n');
        case 'r' -> sb.append('\r');
        case 't' -> sb.append('\t');
        case 'u', 'U' -> {
          if (!unicodeEscape(sb, e == 'u' ? 4 : 8)) {
            return fail();
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
  private boolean unicodeEscape(StringBuilder sb, int digits) {
    int cp = hexDigits(pos, digits);
    if (cp < 0) {
      return false;
    }
    pos += digits;
    if (Character.isHighSurrogate((char) cp) && cp <= 0xFFFF) {
      if (charAt(pos) != '\\' || (charAt(pos + 1) != 'u' && charAt(pos + 1) != 'U')) {
        return false;
      }
      int n = charAt(pos + 1) == 'u' ? 4 : 8;
      int low = hexDigits(pos + 2, n);
      if (low < 0 || low > 0xFFFF || !Character.isLowSurrogate((char) low)) {
        return false;
      }
      pos += 2 + n;
      cp = Character.toCodePoint((char) cp, (char) low);
    }
    return appendCodePoint(sb, cp);
  }

  /** {@code U&'...'}: the body is read like a standard string, then decoded. */
  private Token unicodeString(int start) {
    if (!standardConformingStrings) {
      return fail();
    }
    StringBuilder raw = new StringBuilder();
    if (!quotedBody(raw)) {
      return fail();
    }
    int end = pos;
    int escape = uescape();
    if (escape < 0) {
      return fail();
    }
    String value = decodeUnicodeEscapes(raw, (char) escape);
    if (value == null) {
      return fail();
    }
    return new Token(Kind.STRING, value, start, end);
  }

  /** {@code B'...'} / {@code X'...'}: the digits, unchecked (the type input function checks). */
  private Token bitString(int start, boolean binary) {
    StringBuilder sb = new StringBuilder();
    while (true) {
      int close = sql.indexOf('\'', pos);
      if (close < 0) {
        return fail();
      }
      sb.append(sql, pos, close);
      pos = close + 1;
      if (!quoteContinues()) {
        return new Token(Kind.BIT_STRING, (binary ? "b" : "x") + sb, start, pos);
      }
    }
  }

  /** {@code $tag$...$tag$}, or a lone {@code $} when what follows is not a delimiter. */
  private Token dollarQuoted(int start) {
    int p = pos + 1;
    if (p < length && isDollarTagStart(sql.charAt(p))) {
      p++;
      while (p < length && isDollarTagCont(sql.charAt(p))) {
        p++;
      }
    }
    if (charAt(p) != '$') {
      pos++;
      return new Token(Kind.OPERATOR, "$", start, pos);
    }
    String delimiter = sql.substring(start, p + 1);
    int bodyStart = p + 1;
    int close = sql.indexOf(delimiter, bodyStart);
    if (close < 0) {
      return fail();
    }
    pos = close + delimiter.length();
    return new Token(Kind.STRING, sql.substring(bodyStart, close), start, pos);
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
      int escape = uescape();
      if (escape < 0) {
        return fail();
      }
      value = decodeUnicodeEscapes(sb, (char) escape);
      if (value == null || value.isEmpty()) {
        return fail();
      }
    }
    return new Token(Kind.QUOTED_IDENTIFIER, truncate(value), start, end);
  }

  /**
   * After a U& literal: consumes an optional {@code UESCAPE 'c'} and returns the escape
   * character ({@code \} by default), or -1 if the clause is there but invalid.
   */
  private int uescape() {
    int save = pos;
    skipWhitespaceAndComments();
    if (failed) {
      // An unterminated comment after the literal: let the next call report it.
      failed = false;
      pos = save;
      return '\\';
    }
    int wordStart = pos;
    if (pos < length && isIdentStart(sql.charAt(pos))) {
      int p = pos + 1;
      while (p < length && isIdentCont(sql.charAt(p))) {
        p++;
      }
      if (p - wordStart == 7 && sql.regionMatches(true, wordStart, "uescape", 0, 7)) {
        pos = p;
        Token arg = next();
        if (arg == null || arg.kind() != Kind.STRING || arg.text().length() != 1) {
          return -1;
        }
        char e = arg.text().charAt(0);
        if (hexValue(e) >= 0 || e == '+' || e == '\'' || e == '"' || isSpace(e)) {
          return -1;
        }
        return e;
      }
    }
    pos = save;
    return '\\';
  }

  /** Decodes the escapes of a U&'' string or U&"" identifier; null if one is invalid. */
  private static String decodeUnicodeEscapes(CharSequence raw, char escape) {
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

  private Token fail() {
    failed = true;
    pos = length;
    return null;
  }

  private char charAt(int i) {
    return i < length ? sql.charAt(i) : '\0';
  }

  private int hexDigits(int from, int count) {
    return hexDigits(sql, from, count);
  }

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

  private static boolean isNewline(char c) {
    return c == '\n' || c == '\r';
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isOctal(char c) {
    return c >= '0' && c <= '7';
  }

  /** scan.l ident_start: {@code [A-Za-z\200-\377_]}; every non-ASCII char counts. */
  static boolean isIdentStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }

  /** scan.l ident_cont: ident_start, digits and {@code $}. */
  static boolean isIdentCont(char c) {
    return isIdentStart(c) || isDigit(c) || c == '$';
  }

  private static boolean isDollarTagStart(char c) {
    return isIdentStart(c);
  }

  private static boolean isDollarTagCont(char c) {
    return isIdentStart(c) || isDigit(c);
  }

  /** scan.l op_chars. */
  private static boolean isOpChar(char c) {
    return "~!@#^&|`?+-*/%<>=".indexOf(c) >= 0;
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
