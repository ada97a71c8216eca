package dev.breakwater.server.sql;

import dev.breakwater.server.sql.Token.Kind;
import java.util.List;

/** Tests of a statement's token at an index, false past the end: what the statement readers ask. */
final class Tokens {

  private Tokens() {}

  static boolean word(List<Token> s, int i, String w) {
    return i < s.size() && s.get(i).isWord(w);
  }

  static boolean operator(List<Token> s, int i, String op) {
    return i < s.size() && s.get(i).isOperator(op);
  }

  static boolean kind(List<Token> s, int i, Kind kind) {
    return i < s.size() && s.get(i).kind() == kind;
  }
}
