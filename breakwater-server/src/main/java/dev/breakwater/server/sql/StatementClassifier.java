package dev.breakwater.server.sql;

import static dev.breakwater.server.sql.Keywords.colId;
import static dev.breakwater.server.sql.KnownCalls.scanCalls;
import static dev.breakwater.server.sql.Tokens.kind;
import static dev.breakwater.server.sql.Tokens.operator;
import static dev.breakwater.server.sql.Tokens.word;

import dev.breakwater.server.sql.Effect.Begin;
import dev.breakwater.server.sql.Effect.CloseAllCursors;
import dev.breakwater.server.sql.Effect.CloseCursor;
import dev.breakwater.server.sql.Effect.Commit;
import dev.breakwater.server.sql.Effect.Deallocate;
import dev.breakwater.server.sql.Effect.DeallocateAll;
import dev.breakwater.server.sql.Effect.DiscardAll;
import dev.breakwater.server.sql.Effect.DropAllTemp;
import dev.breakwater.server.sql.Effect.Listen;
import dev.breakwater.server.sql.Effect.Pin;
import dev.breakwater.server.sql.Effect.ReleaseSavepoint;
import dev.breakwater.server.sql.Effect.Rollback;
import dev.breakwater.server.sql.Effect.RollbackToSavepoint;
import dev.breakwater.server.sql.Effect.Savepoint;
import dev.breakwater.server.sql.Effect.Uncertain;
import dev.breakwater.server.sql.Effect.Unlisten;
import dev.breakwater.server.sql.Effect.UnlistenAll;
import dev.breakwater.server.sql.Token.Kind;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds, in the SQL text of a query, the statements that change session state a transaction-mode
 * pooler must follow: settings to replay on another server, state that pins the client to its
 * server, LISTEN/UNLISTEN, and transaction control. See {@link Effect}.
 *
 * <p>This class reads transaction control, cursors, prepared statements, LISTEN and DO, and runs
 * the rest: {@link StatementSplitter} splits the text, {@link SetStatements} reads SET and RESET,
 * {@link TempTables} CREATE/DROP and SELECT INTO of temporary tables, {@link KnownCalls} the
 * advisory lock and set_config calls, {@link FunctionCalls} calls of other functions, and
 * {@link Precheck} lets most queries skip all of it.
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
    List<List<Token>> statements = StatementSplitter.split(tokens, unbalanced);
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
      case "set" -> SetStatements.classifySet(s, out);
      case "reset" -> SetStatements.classifyReset(s, out);
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
      case "create" -> TempTables.classifyCreate(s, out);
      case "drop" -> TempTables.classifyDrop(s, out);
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
              TempTables.selectIntoTemp(s, i + 1, out);
            }
          }
          default -> {
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Pre-check

  /**
   * Whether {@code sql} might have effects; false means it certainly has none. Allocation-free
   * once the text is in UTF-8 (see {@link Precheck}).
   */
  public static boolean mightHaveEffects(CharSequence sql) {
    byte[] utf8 = sql.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return mightHaveEffects(utf8, 0, utf8.length);
  }

  /** {@link #mightHaveEffects(CharSequence)} over UTF-8 bytes, as a Query message holds them. */
  public static boolean mightHaveEffects(byte[] utf8, int offset, int length) {
    return Precheck.mightHaveEffects(utf8, offset, length);
  }
}
