package dev.breakwater.server.sql;

import dev.breakwater.server.sql.Effect.AdvisoryUnlock;
import dev.breakwater.server.sql.Effect.AdvisoryUnlockAll;
import dev.breakwater.server.sql.Effect.Begin;
import dev.breakwater.server.sql.Effect.CloseAllCursors;
import dev.breakwater.server.sql.Effect.CloseCursor;
import dev.breakwater.server.sql.Effect.Commit;
import dev.breakwater.server.sql.Effect.Deallocate;
import dev.breakwater.server.sql.Effect.DeallocateAll;
import dev.breakwater.server.sql.Effect.DiscardAll;
import dev.breakwater.server.sql.Effect.DropAllTemp;
import dev.breakwater.server.sql.Effect.DropTable;
import dev.breakwater.server.sql.Effect.Listen;
import dev.breakwater.server.sql.Effect.Pin;
import dev.breakwater.server.sql.Effect.ReleaseSavepoint;
import dev.breakwater.server.sql.Effect.ResetAll;
import dev.breakwater.server.sql.Effect.ResetSetting;
import dev.breakwater.server.sql.Effect.Rollback;
import dev.breakwater.server.sql.Effect.RollbackToSavepoint;
import dev.breakwater.server.sql.Effect.Savepoint;
import dev.breakwater.server.sql.Effect.SetSession;
import dev.breakwater.server.sql.Effect.Uncertain;
import dev.breakwater.server.sql.Effect.Unlisten;
import dev.breakwater.server.sql.Effect.UnlistenAll;
import dev.breakwater.server.sql.Token.Kind;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Finds, in the SQL text of a query, the statements that change session state a transaction-mode
 * pooler must follow: settings to replay on another server, state that pins the client to its
 * server, LISTEN/UNLISTEN, and transaction control. See {@link Effect}.
 *
 * <p>Works on tokens from {@link SqlLexer}, never on raw text, so keywords inside strings, dollar
 * quotes, quoted identifiers and comments are ignored. A multi-statement string is split on
 * top-level semicolons (not inside parentheses or inside the {@code BEGIN ATOMIC ... END} body of
 * {@code CREATE FUNCTION/PROCEDURE}, by psql's heuristic). If the text does not lex (an
 * unterminated string or comment), PostgreSQL runs none of it, and there are no effects.
 *
 * <p>Thread-safe and stateless. {@link #mightHaveEffects} is an allocation-free pre-check that
 * {@link #classify} uses first, so ordinary queries cost one scan of their characters.
 *
 * <p>Not seen: what runs inside functions, procedures, triggers and EXECUTE'd strings (a function
 * that takes an advisory lock or calls set_config), except that {@code DO} bodies are scanned for
 * pins; advisory locks are counted per call site, not per row; SQL that is not valid may still
 * produce effects (the caller drops the effects of a statement that fails).
 */
public final class StatementClassifier {

  /** The effects of one statement: its index among the non-empty statements of the text. */
  public record StatementEffects(int statement, List<Effect> effects) {}

  private StatementClassifier() {}

  /** The effects of every statement in {@code sql}, in order (standard_conforming_strings on). */
  public static List<Effect> classify(String sql) {
    return classify(sql, true);
  }

  /** The effects of every statement in {@code sql}, in order. */
  public static List<Effect> classify(String sql, boolean standardConformingStrings) {
    List<StatementEffects> statements = classifyStatements(sql, standardConformingStrings);
    if (statements.isEmpty()) {
      return List.of();
    }
    if (statements.size() == 1) {
      return statements.get(0).effects();
    }
    List<Effect> all = new ArrayList<>();
    for (StatementEffects s : statements) {
      all.addAll(s.effects());
    }
    return List.copyOf(all);
  }

  /**
   * The effects of {@code sql} by statement, for statements that have any. {@code statement} is
   * the index among non-empty statements, which is also the index of the statement's
   * CommandComplete in a simple-query response: the caller can apply each statement's effects
   * only if it succeeded.
   */
  public static List<StatementEffects> classifyStatements(
      String sql, boolean standardConformingStrings) {
    if (!mightHaveEffects(sql)) {
      return List.of();
    }
    return classifyWithoutPrecheck(sql, standardConformingStrings);
  }

  /** The full classification, skipping {@link #mightHaveEffects}: for tests. */
  static List<StatementEffects> classifyWithoutPrecheck(
      String sql, boolean standardConformingStrings) {
    SqlLexer lexer = new SqlLexer(sql, standardConformingStrings);
    List<Token> tokens = new ArrayList<>();
    for (Token t = lexer.next(); t != null; t = lexer.next()) {
      tokens.add(t);
    }
    if (lexer.failed()) {
      // PostgreSQL would refuse it too, unless it reads it otherwise (another
      // standard_conforming_strings, another client_encoding): nothing is known.
      return List.of(new StatementEffects(0, List.of(new Uncertain(Uncertain.UNREADABLE))));
    }
    List<StatementEffects> result = new ArrayList<>();
    boolean[] unbalanced = new boolean[1];
    List<List<Token>> statements = split(tokens, unbalanced);
    for (int i = 0; i < statements.size(); i++) {
      List<Effect> effects = new ArrayList<>();
      classifyStatement(statements.get(i), effects);
      if (FunctionCalls.unknownCall(statements.get(i), 0, statements.get(i).size())) {
        effects.add(new Uncertain(Uncertain.FUNCTION));
      }
      if (unbalanced[0] && i == statements.size() - 1) {
        // A routine body that never ends: where PostgreSQL splits it is not known.
        effects.add(new Uncertain(Uncertain.UNREADABLE));
      }
      if (!effects.isEmpty()) {
        result.add(new StatementEffects(i, List.copyOf(effects)));
      }
    }
    return List.copyOf(result);
  }

  /** {@link #classifyStatements(String, boolean)} with standard_conforming_strings on. */
  public static List<StatementEffects> classifyStatements(String sql) {
    return classifyStatements(sql, true);
  }

  // ---------------------------------------------------------------------------------------------
  // Splitting

  /** Splits on top-level semicolons; drops empty statements, as PostgreSQL's parser does. */
  static List<List<Token>> split(List<Token> tokens) {
    return split(tokens, new boolean[1]);
  }

  /** {@link #split(List)}; {@code unbalanced[0]} is set when a routine body is left open. */
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

  // ---------------------------------------------------------------------------------------------
  // Statements

  private static void classifyStatement(List<Token> s, List<Effect> out) {
    Token first = s.get(0);
    if (first.isOperator("(")) {
      scanQuery(s, out);
      return;
    }
    if (first.kind() != Kind.IDENTIFIER) {
      return;
    }
    switch (first.text()) {
      case "set" -> classifySet(s, out);
      case "reset" -> classifyReset(s, out);
      case "discard" -> {
        if (word(s, 1, "all")) {
          out.add(new DiscardAll());
        } else if (word(s, 1, "temp") || word(s, 1, "temporary")) {
          out.add(new DropAllTemp());
        }
      }
      case "begin" -> out.add(new Begin());
      case "start" -> {
        if (word(s, 1, "transaction")) {
          out.add(new Begin());
        }
      }
      case "commit", "end" -> {
        if (!word(s, 1, "prepared")) {
          out.add(new Commit());
          if (chains(s)) {
            out.add(new Begin());
          }
        }
      }
      case "rollback", "abort" -> classifyRollback(s, out);
      case "savepoint" -> {
        String name = colId(s, 1);
        if (name != null) {
          out.add(new Savepoint(name));
        }
      }
      case "release" -> {
        String name = colId(s, word(s, 1, "savepoint") && s.size() > 2 ? 2 : 1);
        if (name != null) {
          out.add(new ReleaseSavepoint(name));
        }
      }
      case "prepare" -> classifyPrepare(s, out);
      case "deallocate" -> {
        int i = word(s, 1, "prepare") && s.size() > 2 ? 2 : 1;
        if (word(s, i, "all")) {
          out.add(new DeallocateAll());
        } else {
          String name = colId(s, i);
          if (name != null) {
            out.add(new Deallocate(name));
          }
        }
      }
      case "declare" -> classifyDeclare(s, out);
      case "close" -> {
        if (word(s, 1, "all")) {
          out.add(new CloseAllCursors());
        } else {
          String name = colId(s, 1);
          if (name != null) {
            out.add(new CloseCursor(name));
          }
        }
      }
      case "listen" -> {
        String channel = colId(s, 1);
        if (channel != null) {
          out.add(new Listen(channel));
        }
      }
      case "unlisten" -> {
        if (operator(s, 1, "*")) {
          out.add(new UnlistenAll());
        } else {
          String channel = colId(s, 1);
          if (channel != null) {
            out.add(new Unlisten(channel));
          }
        }
      }
      case "load" -> {
        if (kind(s, 1, Kind.STRING)) {
          out.add(new Pin(Pin.LOAD, s.get(1).text()));
        }
      }
      case "create" -> classifyCreate(s, out);
      case "drop" -> classifyDrop(s, out);
      case "do" -> {
        out.add(new Uncertain(Uncertain.DO_BLOCK));
        classifyDo(s, out);
      }
      case "call" -> {
        out.add(new Uncertain(Uncertain.CALL));
        scanQuery(s, out);
      }
      case "select", "with", "values", "insert", "update", "delete", "merge", "explain",
          "copy" -> scanQuery(s, out);
      default -> {
        // Nothing else changes session state this classifier follows.
      }
    }
  }

  /** Whether a COMMIT/END/ROLLBACK/ABORT ends with AND CHAIN (not AND NO CHAIN). */
  private static boolean chains(List<Token> s) {
    int i = 1;
    if (word(s, i, "work") || word(s, i, "transaction")) {
      i++;
    }
    return word(s, i, "and") && word(s, i + 1, "chain");
  }

  private static void classifyRollback(List<Token> s, List<Effect> out) {
    if (s.get(0).isWord("rollback") && word(s, 1, "prepared")) {
      return; // ROLLBACK PREPARED 'gid' ends a prepared transaction, not this session's
    }
    int i = 1;
    if (word(s, i, "work") || word(s, i, "transaction")) {
      i++;
    }
    if (word(s, i, "to")) {
      i++;
      if (word(s, i, "savepoint") && s.size() > i + 1) {
        i++;
      }
      String name = colId(s, i);
      if (name != null) {
        out.add(new RollbackToSavepoint(name));
      }
      return;
    }
    out.add(new Rollback());
    if (chains(s)) {
      out.add(new Begin());
    }
  }

  private static void classifyPrepare(List<Token> s, List<Effect> out) {
    if (word(s, 1, "transaction") && kind(s, 2, Kind.STRING)) {
      out.add(new Commit()); // PREPARE TRANSACTION ends the block; its SETs apply as at COMMIT
      return;
    }
    String name = colId(s, 1);
    if (name == null) {
      return;
    }
    out.add(new Pin(Pin.PREPARE, name));
    // The body runs later, at EXECUTE (maybe never, maybe often): pins only.
    scanCalls(s, 2, s.size(), out, true);
  }

  private static void classifyDeclare(List<Token> s, List<Effect> out) {
    String name = colId(s, 1);
    if (name == null) {
      return;
    }
    int i = 2;
    while (word(s, i, "binary") || word(s, i, "insensitive") || word(s, i, "asensitive")
        || word(s, i, "scroll") || word(s, i, "no")) {
      i++;
    }
    if (!word(s, i, "cursor")) {
      return;
    }
    if (word(s, i + 1, "with") && word(s, i + 2, "hold")) {
      out.add(new Pin(Pin.CURSOR_WITH_HOLD, name));
    }
    scanCalls(s, i + 1, s.size(), out, false);
  }

  private static void classifyCreate(List<Token> s, List<Effect> out) {
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

  private static void classifyDrop(List<Token> s, List<Effect> out) {
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
   * {@code DO $$ ... $$}: the body is lexed as SQL (PL/pgSQL uses the same lexer) and, since its
   * control flow is unknown, only pins are taken from it: advisory locks, set_config calls not
   * known to be local, and CREATE TEMP.
   */
  private static void classifyDo(List<Token> s, List<Effect> out) {
    for (int i = 1; i < s.size(); i++) {
      if (s.get(i).kind() == Kind.STRING) {
        List<Token> body = SqlLexer.tokenize(s.get(i).text());
        scanCalls(body, 0, body.size(), out, true);
        for (int k = 0; k < body.size(); k++) {
          if (body.get(k).isWord("create")) {
            int j = k + 1;
            if (word(body, j, "global") || word(body, j, "local")) {
              j++;
            }
            if (word(body, j, "temp") || word(body, j, "temporary")) {
              out.add(new Pin(Pin.TEMP_TABLE));
            }
          }
        }
        return;
      }
    }
  }

  /** A query that runs now: function calls anywhere, and {@code SELECT ... INTO TEMP}. */
  private static void scanQuery(List<Token> s, List<Effect> out) {
    scanCalls(s, 0, s.size(), out, false);
    int depth = 0;
    String verb = null;
    for (int i = 0; i < s.size(); i++) {
      Token t = s.get(i);
      if (t.isOperator("(")) {
        depth++;
      } else if (t.isOperator(")")) {
        depth--;
      } else if (depth == 0 && t.kind() == Kind.IDENTIFIER) {
        switch (t.text()) {
          case "select", "insert", "update", "delete", "merge" -> verb = t.text();
          case "into" -> {
            if ("select".equals(verb)) {
              selectIntoTemp(s, i + 1, out);
            }
          }
          default -> {
          }
        }
      }
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
  private static void selectIntoTemp(List<Token> s, int i, List<Effect> out) {
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

  // ---------------------------------------------------------------------------------------------
  // Function calls: advisory locks and set_config

  private enum Call { LOCK, UNLOCK, UNLOCK_ALL, SET_CONFIG }

  private static Call call(String name) {
    return switch (name) {
      case "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
          "pg_try_advisory_lock_shared" -> Call.LOCK;
      case "pg_advisory_unlock", "pg_advisory_unlock_shared" -> Call.UNLOCK;
      case "pg_advisory_unlock_all" -> Call.UNLOCK_ALL;
      case "set_config" -> Call.SET_CONFIG;
      default -> null;
    };
  }

  /**
   * Finds calls of interest in {@code s[from, to)}: a (possibly quoted) function name, unqualified
   * or in pg_catalog, followed by {@code (}, and not the object of {@code FUNCTION}, as in
   * {@code DROP FUNCTION}. With {@code pinsOnly}, for code that may run any number of times or
   * not at all, only pins are reported.
   */
  private static void scanCalls(List<Token> s, int from, int to, List<Effect> out,
      boolean pinsOnly) {
    for (int i = from; i < to; i++) {
      Token t = s.get(i);
      if (!t.isIdentifier() || !t.text().contains("_")) {
        continue;
      }
      Call call = call(t.text());
      if (call == null || !operator(s, i + 1, "(")) {
        continue;
      }
      int before = i - 1;
      if (before >= 0 && s.get(before).isOperator(".")) {
        if (before < 1 || !s.get(before - 1).isIdentifier()
            || !s.get(before - 1).text().equals("pg_catalog")) {
          continue; // some other schema's function of the same name
        }
        before -= 2;
      }
      if (before >= 0 && (s.get(before).isWord("function") || s.get(before).isWord("procedure")
          || s.get(before).isWord("routine"))) {
        continue;
      }
      switch (call) {
        case LOCK -> out.add(new Pin(Pin.ADVISORY_LOCK));
        case UNLOCK -> {
          if (!pinsOnly) {
            out.add(new AdvisoryUnlock());
          }
        }
        case UNLOCK_ALL -> {
          if (!pinsOnly) {
            out.add(new AdvisoryUnlockAll());
          }
        }
        case SET_CONFIG -> setConfig(s, i + 2, out, pinsOnly);
      }
    }
  }

  /** A literal argument: its value (null for NULL) and the index after it. */
  private record Literal(String value, int next) {}

  /** {@code set_config(name, value, is_local)} with arguments starting at {@code i}. */
  private static void setConfig(List<Token> s, int i, List<Effect> out, boolean pinsOnly) {
    Literal name = textLiteral(s, i);
    Literal value = name == null || !operator(s, name.next(), ",")
        ? null : textLiteral(s, name.next() + 1);
    Boolean local = value == null || !operator(s, value.next(), ",")
        ? null : booleanLiteral(s, value.next() + 1);
    if (name == null || name.value() == null || value == null || local == null) {
      out.add(new Pin(Pin.SET_CONFIG_COMPUTED));
      return;
    }
    if (local) {
      return; // like SET LOCAL: gone at the end of the transaction
    }
    if (pinsOnly) {
      out.add(new Pin(Pin.SET_CONFIG_COMPUTED));
      return;
    }
    String setting = lowerAscii(name.value());
    if (value.value() == null) {
      reset(setting, out); // a NULL value resets
    } else {
      set(setting, value.value(), out);
    }
  }

  /** A string literal or NULL, optionally cast to a text type. */
  private static Literal textLiteral(List<Token> s, int i) {
    String value;
    if (kind(s, i, Kind.STRING)) {
      value = s.get(i).text();
    } else if (word(s, i, "null")) {
      value = null;
    } else {
      return null;
    }
    i++;
    while (operator(s, i, "::")) {
      i++;
      if (word(s, i, "pg_catalog") && operator(s, i + 1, ".")) {
        i += 2;
      }
      if (word(s, i, "text") || word(s, i, "varchar")) {
        i++;
      } else if (word(s, i, "character") && word(s, i + 1, "varying")) {
        i += 2;
      } else {
        return null;
      }
    }
    return isArgumentEnd(s, i) ? new Literal(value, i) : null;
  }

  /** A boolean literal (TRUE, FALSE, NULL or a string boolin accepts), followed by ')'. */
  private static Boolean booleanLiteral(List<Token> s, int i) {
    Boolean value;
    if (word(s, i, "true")) {
      value = true;
    } else if (word(s, i, "false") || word(s, i, "null")) {
      value = false; // a NULL is_local means false
    } else if (kind(s, i, Kind.STRING)) {
      value = parseBool(s.get(i).text());
    } else {
      return null;
    }
    i++;
    while (operator(s, i, "::")) {
      i++;
      if (word(s, i, "pg_catalog") && operator(s, i + 1, ".")) {
        i += 2;
      }
      if (!(word(s, i, "bool") || word(s, i, "boolean"))) {
        return null;
      }
      i++;
    }
    return operator(s, i, ")") ? value : null;
  }

  private static boolean isArgumentEnd(List<Token> s, int i) {
    return operator(s, i, ",") || operator(s, i, ")");
  }

  /** PostgreSQL's parse_bool: true, false, yes, no (any unique prefix), on, off, 1, 0. */
  static Boolean parseBool(String text) {
    String v = lowerAscii(text.strip());
    if (v.isEmpty()) {
      return null;
    }
    if ("true".startsWith(v) || "yes".startsWith(v) || v.equals("on") || v.equals("1")) {
      return true;
    }
    if ("false".startsWith(v) || "no".startsWith(v) || v.equals("off") || v.equals("of")
        || v.equals("0")) {
      return false;
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // SET and RESET

  private static void classifySet(List<Token> s, List<Effect> out) {
    int i = 1;
    if (word(s, i, "local") && !isAssign(s, i + 1)) {
      return; // SET LOCAL: gone at the end of the transaction
    }
    if (word(s, i, "session") && !isAssign(s, i + 1)) {
      if (word(s, i + 1, "characteristics")) {
        sessionCharacteristics(s, i + 2, out);
        return;
      }
      if (!word(s, i + 1, "authorization")) {
        i++; // SET SESSION name ...: the default scope
      }
    }
    List<Effect> effects = new ArrayList<>();
    if (setRest(s, i, effects)) {
      out.addAll(effects);
    } else {
      out.add(new Pin(Pin.UNRECOGNIZED_SET));
    }
  }

  /** gram.y set_rest after SET [SESSION]; false if it does not parse. */
  private static boolean setRest(List<Token> s, int i, List<Effect> out) {
    if (word(s, i, "transaction") && !isAssign(s, i + 1)) {
      return true; // SET TRANSACTION ... / SET TRANSACTION SNAPSHOT: this transaction only
    }
    if (i == 1 && word(s, i, "constraints") && !isAssign(s, i + 1)) {
      return true; // SET CONSTRAINTS: this transaction only
    }
    if (word(s, i, "time") && word(s, i + 1, "zone")) {
      return timeZone(s, i + 2, out);
    }
    if (word(s, i, "names") && !isAssign(s, i + 1)) {
      // SET NAMES [ 'encoding' | DEFAULT ]
      if (s.size() == i + 1 || (word(s, i + 1, "default") && s.size() == i + 2)) {
        reset("client_encoding", out);
        return true;
      }
      if (kind(s, i + 1, Kind.STRING) && s.size() == i + 2) {
        set("client_encoding", s.get(i + 1).text(), out);
        return true;
      }
      return false;
    }
    if (word(s, i, "schema") && !isAssign(s, i + 1)) {
      if (kind(s, i + 1, Kind.STRING) && s.size() == i + 2) {
        set("search_path", quoteIdentifier(s.get(i + 1).text()), out);
        return true;
      }
      return false;
    }
    if (word(s, i, "catalog") && !isAssign(s, i + 1)) {
      return true; // always an error: "current database cannot be changed"
    }
    if (word(s, i, "role") && !isAssign(s, i + 1)) {
      String role = nonReservedWordOrString(s, i + 1);
      if (role == null || s.size() != i + 2) {
        return false;
      }
      set("role", role, out);
      return true;
    }
    if (word(s, i, "session") && word(s, i + 1, "authorization")) {
      if (word(s, i + 2, "default") && s.size() == i + 3) {
        reset("session_authorization", out);
        return true;
      }
      String user = nonReservedWordOrString(s, i + 2);
      if (user == null || s.size() != i + 3) {
        return false;
      }
      set("session_authorization", user, out);
      return true;
    }
    if (word(s, i, "xml") && word(s, i + 1, "option")) {
      if ((word(s, i + 2, "document") || word(s, i + 2, "content")) && s.size() == i + 3) {
        set("xmloption", s.get(i + 2).text().toUpperCase(Locale.ROOT), out);
        return true;
      }
      return false;
    }
    return genericSet(s, i, out);
  }

  /** {@code name TO|= value [, ...]}, {@code name TO|= DEFAULT}, {@code name FROM CURRENT}. */
  private static boolean genericSet(List<Token> s, int i, List<Effect> out) {
    StringBuilder name = new StringBuilder();
    i = varName(s, i, name);
    if (i < 0) {
      return false;
    }
    String setting = name.toString();
    if (word(s, i, "from") && word(s, i + 1, "current") && s.size() == i + 2) {
      return true; // keeps the current value
    }
    if (!isAssign(s, i)) {
      return false;
    }
    i++;
    if (word(s, i, "default") && s.size() == i + 1) {
      reset(setting, out);
      return true;
    }
    boolean quote = LIST_QUOTE_SETTINGS.contains(setting);
    StringBuilder value = new StringBuilder();
    for (boolean first = true; ; first = false) {
      if (!first) {
        value.append(", ");
      }
      int next = value(s, i, quote, value);
      if (next < 0) {
        return false;
      }
      if (next == s.size()) {
        break;
      }
      if (!operator(s, next, ",")) {
        return false;
      }
      i = next + 1;
    }
    set(setting, value.toString(), out);
    return true;
  }

  /**
   * gram.y var_value, rendered as flatten_set_variable_args does: numbers as the parser holds
   * them, words and strings as they are or, for list-of-names settings, through quote_identifier.
   * Returns the index after the value, or -1.
   */
  private static int value(List<Token> s, int i, boolean quote, StringBuilder out) {
    if (i >= s.size()) {
      return -1;
    }
    Token t = s.get(i);
    if (t.isOperator("-") || t.isOperator("+")) {
      if (!kind(s, i + 1, Kind.NUMBER)) {
        return -1;
      }
      out.append(renderNumber(s.get(i + 1).text(), t.isOperator("-")));
      return i + 2;
    }
    String text;
    switch (t.kind()) {
      case NUMBER -> {
        out.append(renderNumber(t.text(), false));
        return i + 1;
      }
      case STRING, QUOTED_IDENTIFIER -> text = t.text();
      case IDENTIFIER -> {
        text = t.text();
        // Of the reserved words, only TRUE, FALSE and ON are values (as strings).
        if (RESERVED.contains(text) && !text.equals("true") && !text.equals("false")
            && !text.equals("on")) {
          return -1;
        }
      }
      default -> {
        return -1;
      }
    }
    out.append(quote ? quoteIdentifier(text) : text);
    return i + 1;
  }

  /**
   * A number as flatten_set_variable_args prints it: an integer that fits in 32 bits as its
   * decimal value (so {@code 0x10} is 16 and {@code 1_000} is 1000), anything else as written.
   */
  static String renderNumber(String text, boolean negative) {
    String digits = text.replace("_", "");
    int radix = 10;
    if (digits.length() > 2 && digits.charAt(0) == '0') {
      switch (digits.charAt(1)) {
        case 'x', 'X' -> radix = 16;
        case 'o', 'O' -> radix = 8;
        case 'b', 'B' -> radix = 2;
        default -> {
        }
      }
      if (radix != 10) {
        digits = digits.substring(2);
      }
    }
    try {
      long v = Long.parseLong(digits, radix);
      if (v <= Integer.MAX_VALUE) {
        return Long.toString(negative ? -v : v);
      }
    } catch (NumberFormatException e) {
      // a decimal, a real, or too big for an integer: kept as written
    }
    return negative ? "-" + text : text;
  }

  /** {@code SET TIME ZONE zone_value}. */
  private static boolean timeZone(List<Token> s, int i, List<Effect> out) {
    if ((word(s, i, "local") || word(s, i, "default")) && s.size() == i + 1) {
      reset("timezone", out);
      return true;
    }
    if (word(s, i, "interval")) {
      return false; // rendered through interval_out and IntervalStyle: not followed
    }
    if (kind(s, i, Kind.STRING) || kind(s, i, Kind.IDENTIFIER)
        || kind(s, i, Kind.QUOTED_IDENTIFIER)) {
      if (s.size() != i + 1 || RESERVED.contains(s.get(i).text()) && kind(s, i, Kind.IDENTIFIER)) {
        return false;
      }
      set("timezone", s.get(i).text(), out);
      return true;
    }
    StringBuilder value = new StringBuilder();
    int next = value(s, i, false, value);
    if (next != s.size() || !(kind(s, i, Kind.NUMBER) || kind(s, i + 1, Kind.NUMBER))) {
      return false;
    }
    set("timezone", value.toString(), out);
    return true;
  }

  /** {@code SET SESSION CHARACTERISTICS AS TRANSACTION mode [, ...]}, from after the keyword. */
  private static void sessionCharacteristics(List<Token> s, int i, List<Effect> out) {
    List<Effect> effects = new ArrayList<>();
    boolean ok = word(s, i, "as") && word(s, i + 1, "transaction") && s.size() > i + 2;
    i += 2;
    while (ok && i < s.size()) {
      if (operator(s, i, ",") && i + 1 < s.size()) {
        i++;
      }
      if (word(s, i, "isolation") && word(s, i + 1, "level")) {
        String level = null;
        if (word(s, i + 2, "serializable")) {
          level = "serializable";
          i += 3;
        } else if (word(s, i + 2, "repeatable") && word(s, i + 3, "read")) {
          level = "repeatable read";
          i += 4;
        } else if (word(s, i + 2, "read")
            && (word(s, i + 3, "committed") || word(s, i + 3, "uncommitted"))) {
          level = "read " + s.get(i + 3).text();
          i += 4;
        }
        ok = level != null;
        if (ok) {
          effects.add(new SetSession("default_transaction_isolation", level));
        }
      } else if (word(s, i, "read") && (word(s, i + 1, "only") || word(s, i + 1, "write"))) {
        effects.add(new SetSession("default_transaction_read_only",
            word(s, i + 1, "only") ? "on" : "off"));
        i += 2;
      } else if (word(s, i, "deferrable")) {
        effects.add(new SetSession("default_transaction_deferrable", "on"));
        i++;
      } else if (word(s, i, "not") && word(s, i + 1, "deferrable")) {
        effects.add(new SetSession("default_transaction_deferrable", "off"));
        i += 2;
      } else {
        ok = false;
      }
    }
    if (ok) {
      out.addAll(effects);
    } else {
      out.add(new Pin(Pin.UNRECOGNIZED_SET));
    }
  }

  private static void classifyReset(List<Token> s, List<Effect> out) {
    if (word(s, 1, "all") && s.size() == 2) {
      out.add(new ResetAll());
    } else if (word(s, 1, "time") && word(s, 2, "zone") && s.size() == 3) {
      reset("timezone", out);
    } else if (word(s, 1, "transaction") && word(s, 2, "isolation") && word(s, 3, "level")
        && s.size() == 4) {
      // transaction-scoped: nothing to follow
    } else if (word(s, 1, "session") && word(s, 2, "authorization") && s.size() == 3) {
      reset("session_authorization", out);
    } else {
      StringBuilder name = new StringBuilder();
      int next = varName(s, 1, name);
      if (next == s.size()) {
        reset(name.toString(), out);
      } else {
        out.add(new Pin(Pin.UNRECOGNIZED_SET));
      }
    }
  }

  /** gram.y var_name: ColId ['.' ColId ...], lower-cased. Returns the next index or -1. */
  private static int varName(List<Token> s, int i, StringBuilder name) {
    String part = colId(s, i);
    if (part == null) {
      return -1;
    }
    name.append(lowerAscii(part));
    i++;
    while (operator(s, i, ".")) {
      part = colId(s, i + 1);
      if (part == null) {
        return -1;
      }
      name.append('.').append(lowerAscii(part));
      i += 2;
    }
    return i;
  }

  /** A setting changed for the session, unless it is one that cannot be, or need not be, kept. */
  private static void set(String name, String value, List<Effect> out) {
    switch (name) {
      case "role", "session_authorization" -> {
        if (name.equals("role") && value.equals("none")) {
          out.add(new ResetSetting(name)); // SET ROLE NONE: back to the session user
        } else {
          out.add(new Pin(Pin.SET_ROLE, value));
        }
      }
      case "transaction_isolation", "transaction_read_only", "transaction_deferrable",
          "transaction_snapshot" -> {
        // this transaction only
      }
      default -> out.add(new SetSession(name, value));
    }
  }

  private static void reset(String name, List<Effect> out) {
    switch (name) {
      case "transaction_isolation", "transaction_read_only", "transaction_deferrable",
          "transaction_snapshot" -> {
        // this transaction only
      }
      default -> out.add(new ResetSetting(name));
    }
  }

  private static boolean isAssign(List<Token> s, int i) {
    return operator(s, i, "=") || word(s, i, "to");
  }

  // ---------------------------------------------------------------------------------------------
  // Names and keywords

  /** gram.y ColId: an identifier that is not a reserved or type/function-name keyword. */
  private static String colId(List<Token> s, int i) {
    if (i >= s.size()) {
      return null;
    }
    Token t = s.get(i);
    if (t.kind() == Kind.QUOTED_IDENTIFIER) {
      return t.text();
    }
    if (t.kind() == Kind.IDENTIFIER && !RESERVED.contains(t.text())
        && !TYPE_FUNC_NAME.contains(t.text())) {
      return t.text();
    }
    return null;
  }

  /** gram.y NonReservedWord_or_Sconst. */
  private static String nonReservedWordOrString(List<Token> s, int i) {
    if (i >= s.size()) {
      return null;
    }
    Token t = s.get(i);
    return switch (t.kind()) {
      case STRING, QUOTED_IDENTIFIER -> t.text();
      case IDENTIFIER -> RESERVED.contains(t.text()) ? null : t.text();
      default -> null;
    };
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

  /**
   * PostgreSQL's quote_identifier: unchanged if it is lower case letters, digits and underscores
   * not starting with a digit and not a keyword other than an unreserved one; else quoted.
   */
  static String quoteIdentifier(String ident) {
    boolean safe = !ident.isEmpty()
        && ((ident.charAt(0) >= 'a' && ident.charAt(0) <= 'z') || ident.charAt(0) == '_');
    for (int i = 0; safe && i < ident.length(); i++) {
      char c = ident.charAt(i);
      safe = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (safe && (RESERVED.contains(ident) || COL_NAME.contains(ident)
        || TYPE_FUNC_NAME.contains(ident))) {
      safe = false;
    }
    return safe ? ident : '"' + ident.replace("\"", "\"\"") + '"';
  }

  private static String lowerAscii(String s) {
    return SqlLexer.foldCase(s, 0, s.length());
  }

  private static boolean word(List<Token> s, int i, String w) {
    return i < s.size() && s.get(i).isWord(w);
  }

  private static boolean operator(List<Token> s, int i, String op) {
    return i < s.size() && s.get(i).isOperator(op);
  }

  private static boolean kind(List<Token> s, int i, Kind kind) {
    return i < s.size() && s.get(i).kind() == kind;
  }

  /** Settings flagged GUC_LIST_QUOTE in PostgreSQL 17: SET quotes their elements. */
  private static final Set<String> LIST_QUOTE_SETTINGS = Set.of("search_path", "temp_tablespaces",
      "local_preload_libraries", "session_preload_libraries", "shared_preload_libraries");

  /** PostgreSQL 17 reserved keywords (pg_get_keywords() catcode R). */
  private static final Set<String> RESERVED = Set.of(("all analyse analyze and any array as asc"
      + " asymmetric both case cast check collate column constraint create current_catalog"
      + " current_date current_role current_time current_timestamp current_user default"
      + " deferrable desc distinct do else end except false fetch for foreign from grant group"
      + " having in initially intersect into lateral leading limit localtime localtimestamp not"
      + " null offset on only or order placing primary references returning select session_user"
      + " some symmetric system_user table then to trailing true union unique user using"
      + " variadic when where window with").split(" "));

  /** PostgreSQL 17 column-name keywords (catcode C). */
  private static final Set<String> COL_NAME = Set.of(("between bigint bit boolean char character"
      + " coalesce dec decimal exists extract float greatest grouping inout int integer interval"
      + " json json_array json_arrayagg json_exists json_object json_objectagg json_query"
      + " json_scalar json_serialize json_table json_value least merge_action national nchar"
      + " none normalize nullif numeric out overlay position precision real row setof smallint"
      + " substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement"
      + " xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable")
      .split(" "));

  /** PostgreSQL 17 type/function-name keywords (catcode T). */
  private static final Set<String> TYPE_FUNC_NAME = Set.of(("authorization binary collation"
      + " concurrently cross current_schema freeze full ilike inner is isnull join left like"
      + " natural notnull outer overlaps right similar tablesample verbose").split(" "));

  // ---------------------------------------------------------------------------------------------
  // Pre-check

  /**
   * Whether {@code sql} might have effects; false means it certainly has none. Allocation-free:
   * looks at each word once. A statement keyword (SET, RESET, DISCARD, BEGIN, START, COMMIT, END,
   * ABORT, ROLLBACK, SAVEPOINT, RELEASE, PREPARE, DEALLOCATE, DECLARE, CLOSE, LISTEN, UNLISTEN,
   * LOAD, DROP) counts only where a statement could start: at the beginning, after a semicolon, a
   * comment or a newline (so {@code UPDATE t SET ...} on one line does not). Anywhere count:
   * TEMP, TEMPORARY, words starting with pg_temp, words containing "advisory" or "set_config"
   * (all the functions of interest have an underscore), and {@code U&} (an escaped identifier
   * could spell anything).
   */
  public static boolean mightHaveEffects(CharSequence sql) {
    byte[] utf8 = sql.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return mightHaveEffects(utf8, 0, utf8.length);
  }

  /** {@link #mightHaveEffects(CharSequence)} over UTF-8 bytes, as a Query message holds them. */
  public static boolean mightHaveEffects(byte[] utf8, int offset, int length) {
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
