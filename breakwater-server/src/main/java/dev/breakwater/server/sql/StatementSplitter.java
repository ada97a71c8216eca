package dev.breakwater.server.sql;

import dev.breakwater.server.sql.Token.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a query's tokens into statements on top-level semicolons: not inside parentheses, nor
 * inside the {@code BEGIN ATOMIC ... END} body of {@code CREATE FUNCTION/PROCEDURE}, by psql's
 * heuristic.
 */
final class StatementSplitter {

  private StatementSplitter() {}

  /**
   * The statements, without the empty ones, as PostgreSQL's parser drops them; {@code
   * unbalanced[0]} is set when a routine body is left open.
   */
  static List<List<Token>> split(List<Token> tokens, boolean[] unbalanced) {
    List<List<Token>> statements = new ArrayList<>();
    int parenDepth = 0;
    int beginDepth = 0;
    int identifierCount = 0;
    char[] firstLetters = new char[4];
    int start = 0;
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (t.kind() == Kind.SEMICOLON) {
        if (parenDepth == 0 && beginDepth == 0) {
          if (i > start) {
            statements.add(tokens.subList(start, i));
          }
          start = i + 1;
          identifierCount = 0;
        }
      } else if (t.isOperator("(")) {
        parenDepth++;
      } else if (t.isOperator(")")) {
        if (parenDepth > 0) {
          parenDepth--;
        }
      } else if (t.kind() == Kind.IDENTIFIER) {
        // psql's heuristic (psqlscan.l): in CREATE [OR REPLACE] FUNCTION|PROCEDURE, semicolons
        // between BEGIN and its END (counting CASE ... END inside) do not end the statement.
        if (identifierCount == 0) {
          Arrays.fill(firstLetters, '\0');
        }
        String w = t.text();
        if (identifierCount < firstLetters.length && (w.equals("create") || w.equals("function")
            || w.equals("procedure") || w.equals("or") || w.equals("replace"))) {
          firstLetters[identifierCount] = w.charAt(0);
        }
        identifierCount++;
        boolean routine = firstLetters[0] == 'c'
            && (firstLetters[1] == 'f' || firstLetters[1] == 'p'
                || (firstLetters[1] == 'o' && firstLetters[2] == 'r'
                    && (firstLetters[3] == 'f' || firstLetters[3] == 'p')));
        if (routine && parenDepth == 0) {
          // BEGIN ATOMIC opens a body; a name such as s.begin() does not.
          if (w.equals("begin") && i + 1 < tokens.size() && tokens.get(i + 1).isWord("atomic")
              && !(i > 0 && tokens.get(i - 1).isOperator("."))) {
            beginDepth++;
          } else if (w.equals("case")) {
            if (beginDepth >= 1) {
              beginDepth++;
            }
          } else if (w.equals("end")) {
            if (beginDepth > 0) {
              beginDepth--;
            }
          }
        }
      }
    }
    if (start < tokens.size()) {
      statements.add(tokens.subList(start, tokens.size()));
    }
    unbalanced[0] = beginDepth > 0;
    return statements;
  }
}
