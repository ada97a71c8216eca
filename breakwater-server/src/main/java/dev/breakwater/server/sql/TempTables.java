package dev.breakwater.server.sql;

import static dev.breakwater.server.sql.KnownCalls.scanCalls;
import static dev.breakwater.server.sql.Tokens.operator;
import static dev.breakwater.server.sql.Tokens.word;

import dev.breakwater.server.sql.Effect.DropTable;
import dev.breakwater.server.sql.Effect.Pin;
import java.util.ArrayList;
import java.util.List;

/**
 * Temporary tables made and dropped: {@code CREATE [TEMP] TABLE|VIEW|SEQUENCE}, {@code SELECT
 * ... INTO TEMP}, {@code DROP TABLE|VIEW|SEQUENCE}. A temporary table pins the client to its
 * server (one made {@code ON COMMIT DROP} does not: it goes with the transaction).
 */
final class TempTables {

  private TempTables() {}

  /**
   * CREATE of a temporary table, view or sequence; the query of CREATE TABLE AS or CREATE
   * MATERIALIZED VIEW runs now.
   */
  static void classifyCreate(List<Token> s, List<Effect> out) {
    int i = 1;
    if (word(s, i, "or") && word(s, i + 1, "replace")) {
      i += 2;
    }
    boolean temp = persistenceWords(s, i) > 0 && !word(s, i, "unlogged");
    i += persistenceWords(s, i);
    if (word(s, i, "recursive")) {
      i++;
    }
    boolean table = word(s, i, "table");
    if (table || word(s, i, "view") || word(s, i, "sequence")) {
      i++;
      if (word(s, i, "if") && word(s, i + 1, "not") && word(s, i + 2, "exists")) {
        i += 3;
      }
      List<String> name = qualifiedName(s, i);
      if (name != null) {
        temp |= inTempSchema(name);
        if (temp && !(table && onCommitDrop(s, i))) {
          out.add(new Pin(Pin.TEMP_TABLE, name.get(name.size() - 1)));
        }
      }
      if (table) {
        scanCalls(s, i, s.size(), out, false); // CREATE TABLE AS runs its query now
      }
    } else if (word(s, i, "materialized") && word(s, i + 1, "view")) {
      scanCalls(s, i, s.size(), out, false);
    }
    // Functions, views, rules and triggers only store their SQL: nothing runs now.
  }

  /** Whether {@code ON COMMIT DROP} appears at the top level before a top-level AS. */
  private static boolean onCommitDrop(List<Token> s, int from) {
    int depth = 0;
    for (int i = from; i < s.size(); i++) {
      Token t = s.get(i);
      if (t.isOperator("(")) {
        depth++;
      } else if (t.isOperator(")")) {
        depth--;
      } else if (depth == 0) {
        if (t.isWord("as")) {
          return false;
        }
        if (t.isWord("on") && word(s, i + 1, "commit") && word(s, i + 2, "drop")) {
          return true;
        }
      }
    }
    return false;
  }

  /** DROP TABLE|VIEW|SEQUENCE of names that may be temporary: unqualified or in pg_temp. */
  static void classifyDrop(List<Token> s, List<Effect> out) {
    if (!(word(s, 1, "table") || word(s, 1, "view") || word(s, 1, "sequence"))) {
      return;
    }
    int i = 2;
    if (word(s, i, "if") && word(s, i + 1, "exists")) {
      i += 2;
    }
    while (true) {
      List<String> name = qualifiedName(s, i);
      if (name == null) {
        return;
      }
      if (name.size() == 1 || (name.size() == 2 && inTempSchema(name))) {
        out.add(new DropTable(name.get(name.size() - 1)));
      }
      i += 2 * name.size() - 1;
      if (!operator(s, i, ",")) {
        return;
      }
      i++;
    }
  }

  /**
   * The words of {@code [GLOBAL|LOCAL] TEMP|TEMPORARY} or {@code UNLOGGED} at {@code i}: 2, 1, or 0
   * when there are none.
   */
  private static int persistenceWords(List<Token> s, int i) {
    if ((word(s, i, "global") || word(s, i, "local"))
        && (word(s, i + 1, "temp") || word(s, i + 1, "temporary"))) {
      return 2;
    }
    return word(s, i, "temp") || word(s, i, "temporary") || word(s, i, "unlogged") ? 1 : 0;
  }

  /** After SELECT ... INTO: {@code [TEMP|TEMPORARY|LOCAL TEMP|GLOBAL TEMP] [TABLE] name}. */
  static void selectIntoTemp(List<Token> s, int i, List<Effect> out) {
    boolean temp = persistenceWords(s, i) > 0 && !word(s, i, "unlogged");
    i += persistenceWords(s, i);
    if (word(s, i, "table")) {
      i++;
    }
    List<String> name = qualifiedName(s, i);
    if (name != null && (temp || inTempSchema(name))) {
      out.add(new Pin(Pin.TEMP_TABLE, name.get(name.size() - 1)));
    }
  }

  /** A dotted name starting at {@code i}, its parts in order; null if there is none. */
  private static List<String> qualifiedName(List<Token> s, int i) {
    if (i >= s.size() || !s.get(i).isIdentifier()) {
      return null;
    }
    List<String> parts = new ArrayList<>(2);
    parts.add(s.get(i).text());
    while (operator(s, i + 1, ".") && i + 2 < s.size() && s.get(i + 2).isIdentifier()) {
      parts.add(s.get(i + 2).text());
      i += 2;
    }
    return parts;
  }

  /** Whether a qualified name is in this session's temporary schema. */
  private static boolean inTempSchema(List<String> name) {
    return name.size() >= 2 && name.get(name.size() - 2).startsWith("pg_temp");
  }
}
