package dev.breakwater.server.sql;

/**
 * A token from {@link SqlLexer}: its kind, its text (see {@link Kind}) and where it came from in
 * the input, as char offsets {@code [start, end)}.
 */
public record Token(Kind kind, String text, int start, int end) {

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
