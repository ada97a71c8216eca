package dev.breakwater.server.backend;

import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.server.sql.Effect;
import dev.breakwater.server.sql.StatementClassifier;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The session state a client creates on a server in transaction mode, read from the SQL it sends
 * (simple Query and Parse texts, through {@link StatementClassifier}):
 *
 * <ul>
 *   <li>settings ({@code SET}, {@code RESET}, {@code set_config(..., false)}) are recorded for the
 *       client once the transaction that made them commits, and replayed on whichever server it
 *       gets next ({@link ParameterSync}); the server's own record is updated too, so that the
 *       next client on it is brought back;
 *   <li>state that cannot be replayed (session advisory locks, temporary tables, cursors WITH
 *       HOLD, SQL-level PREPARE, LOAD, SET ROLE) pins the client to this server until it is gone;
 *   <li>LISTEN and UNLISTEN go to the database's shared listener.
 * </ul>
 *
 * One per server connection, used on its event loop; it follows the client linked to it.
 */
final class SessionTracker {

  /** What a client's committed LISTEN and UNLISTEN do. */
  interface Listens {
    /** Completes once the shared connection listens on the channel. */
    java.util.concurrent.CompletableFuture<Void> listen(LinkedClient c, String channel);

    void unlisten(LinkedClient c, String channel);

    void unlistenAll(LinkedClient c);
  }

  private final List<Effect> pending = new ArrayList<>();
  private boolean failed;
  /**
   * Why the session state on this server is not known since the last check (a DO block, a call
   * of an unknown function, an error after effects, text not read), or null: before the server
   * serves anyone else, its state is read back ({@link #CHECK_QUERY}) or dropped (DISCARD ALL).
   */
  private String uncertain;
  /** State found by a check that pins the client (it cannot be replayed elsewhere). */
  private String checkedPin;
  /**
   * A check ran: settings it cannot see (custom placeholders such as {@code app.user}, which
   * pg_settings does not list) may remain, so RESET ALL runs before another client gets the server.
   */
  private boolean resetSettings;
  /** The effects of the unnamed statement last parsed, applied at each Bind of it. */
  private List<Effect> unnamedStatement = List.of();
  /** Named statements parsed here without mapping (max_prepared_statements = 0) that have effects. */
  private Map<String, List<Effect>> namedStatements;

  private int advisoryLocks;
  private boolean advisoryReleased;
  private final Set<String> tempTables = new HashSet<>();
  private boolean anonymousTemp;
  private final Set<String> cursors = new HashSet<>();
  private final Set<String> prepared = new HashSet<>();
  private boolean loaded;
  private boolean roleSet;
  private boolean otherPin;
  /** LISTEN was sent on this server: UNLISTEN * before it serves anyone else. */
  private boolean listened;
  private String lastPinReason;

  /** A copy of the SQL text for the pre-check: plain array reads, reused. */
  private byte[] scratch = new byte[1024];
  private boolean droppedStatements;

  /**
   * Reads the SQL of a Query or Parse body (reader at the SQL text). Pins take effect at once; the
   * rest waits for the transaction to end.
   *
   * @return the reason of a pin this statement added, or null
   */
  String onStatement(ByteBuf sql, boolean pinning, Lexing lexing) {
    droppedStatements = false;
    return apply(effectsOf(sql, lexing), pinning);
  }

  /** How the server reads SQL text now: what the lexer must assume. */
  record Lexing(boolean standardConformingStrings, boolean safeEncoding) {
    static final Lexing DEFAULT = new Lexing(true, true);
  }

  /**
   * The effects of the SQL text at the reader (a Query or Parse body), without applying them; an
   * empty list when the pre-check finds none.
   */
  List<Effect> effectsOf(ByteBuf sql, Lexing lexing) {
    int from = sql.readerIndex();
    int nul = sql.indexOf(from, sql.writerIndex(), (byte) 0);
    int length = (nul < 0 ? sql.writerIndex() : nul) - from;
    String text;
    if (sql.hasArray()) {
      // A heap buffer: read its array in place.
      byte[] array = sql.array();
      int offset = sql.arrayOffset() + from;
      if (!StatementClassifier.mightHaveEffects(array, offset, length)) {
        return List.of();
      }
      text = new String(array, offset, length, StandardCharsets.UTF_8);
    } else if (length > 1 << 20) {
      // Too long to copy for a pre-check: classify it, as rarely as such statements come.
      text = sql.toString(from, length, StandardCharsets.UTF_8);
    } else {
      if (length > scratch.length) {
        scratch = new byte[Integer.highestOneBit(length) << 1];
      }
      sql.getBytes(from, scratch, 0, length);
      if (!StatementClassifier.mightHaveEffects(scratch, 0, length)) {
        return List.of();
      }
      text = new String(scratch, 0, length, StandardCharsets.UTF_8);
    }
    List<Effect> effects = StatementClassifier.classify(text, lexing.standardConformingStrings());
    if (!lexing.safeEncoding()) {
      // A client encoding whose characters may hold quote or backslash bytes: not read safely.
      List<Effect> all = new ArrayList<>(effects);
      all.add(new Effect.Uncertain(Effect.Uncertain.UNREADABLE));
      return all;
    }
    return effects;
  }

  /** A Parse of the unnamed statement, or of a named one that is not mapped: kept for its Binds. */
  void onParse(String name, List<Effect> effects) {
    if (name.isEmpty()) {
      unnamedStatement = effects;
    } else if (!effects.isEmpty()) {
      if (namedStatements == null) {
        namedStatements = new java.util.HashMap<>();
      }
      namedStatements.put(name, effects);
    } else if (namedStatements != null) {
      namedStatements.remove(name);
    }
  }

  /** The effects of a statement parsed on this server without mapping, for a Bind of it. */
  List<Effect> parsed(String name) {
    if (name.isEmpty()) {
      return unnamedStatement;
    }
    List<Effect> e = namedStatements == null ? null : namedStatements.get(name);
    return e == null ? List.of() : e;
  }

  /** A Bind: the statement's effects happen now (a statement prepared once may run often). */
  String onBind(List<Effect> effects, boolean pinning) {
    if (effects.isEmpty()) {
      return null;
    }
    droppedStatements = false;
    return apply(effects, pinning);
  }

  /** Something the pooler could not read (an oversized message, a FunctionCall). */
  void uncertain(String why) {
    if (uncertain == null) {
      uncertain = why;
    }
  }

  /** The effects waiting for the end of the transaction (for tests). */
  List<Effect> pendingEffects() {
    return List.copyOf(pending);
  }

  /** Why this server's session state is not known now, or null when it is. */
  String uncertainty() {
    return uncertain;
  }

  /** Whether the last statement read drops prepared statements (DISCARD ALL, DEALLOCATE ALL). */
  boolean droppedStatements() {
    return droppedStatements;
  }

  private String apply(List<Effect> effects, boolean pinning) {
    String pinned = null;
    for (Effect e : effects) {
      if (e instanceof Effect.Uncertain u) {
        uncertain(u.reason());
      } else if (e instanceof Effect.Pin pin) {
        if (pinning && addPin(pin)) {
          pinned = pin.reason();
        }
      } else if (e instanceof Effect.Listen) {
        listened = true;
        pending.add(e);
      } else {
        if (e instanceof Effect.DiscardAll || e instanceof Effect.DeallocateAll) {
          droppedStatements = true;
        }
        pending.add(e);
      }
    }
    return pinned;
  }

  /** An error in the client's transaction: what it set is not kept. */
  void onError() {
    failed = true;
    if (!pending.isEmpty()) {
      // Which of them stand is not known (a savepoint may have kept some): read them back.
      uncertain("error");
    }
  }

  /**
   * ReadyForQuery for the client: when the transaction is over, applies what it committed to the
   * client and to this server's record of its settings.
   */
  /**
   * @return what the client's ReadyForQuery must wait for (the shared connection's LISTEN), or
   *     null when nothing
   */
  java.util.concurrent.CompletableFuture<Void> onReadyForQuery(
      boolean idle, LinkedClient c, Map<String, String> serverExtras, java.util.function.Supplier<Listens> listens) {
    if (!idle) {
      return null;
    }
    java.util.concurrent.CompletableFuture<Void> wait = null;
    if (!failed && !pending.isEmpty()) {
      wait = apply(committed(), c, serverExtras, listens.get());
    }
    pending.clear();
    failed = false;
    return wait;
  }

  /** The effects that stand once the pending statements ran, transaction blocks played out. */
  private List<Effect> committed() {
    List<Effect> applied = new ArrayList<>();
    List<Effect> block = null;
    List<Integer> savepoints = new ArrayList<>();
    for (Effect e : pending) {
      if (e instanceof Effect.Begin) {
        block = new ArrayList<>();
        savepoints.clear();
      } else if (e instanceof Effect.Commit) {
        if (block != null) {
          applied.addAll(block);
        }
        block = null;
      } else if (e instanceof Effect.Rollback) {
        block = null;
      } else if (e instanceof Effect.Savepoint) {
        if (block != null) {
          savepoints.add(block.size());
        }
      } else if (e instanceof Effect.RollbackToSavepoint) {
        if (block != null && !savepoints.isEmpty()) {
          int keep = savepoints.get(savepoints.size() - 1);
          block.subList(keep, block.size()).clear();
        }
      } else if (e instanceof Effect.ReleaseSavepoint) {
        if (!savepoints.isEmpty()) {
          savepoints.remove(savepoints.size() - 1);
        }
      } else {
        (block != null ? block : applied).add(e);
      }
    }
    return applied;
  }

  private java.util.concurrent.CompletableFuture<Void> apply(
      List<Effect> effects, LinkedClient c, Map<String, String> serverExtras, Listens listens) {
    java.util.concurrent.CompletableFuture<Void> wait = null;
    Map<String, String> clientExtras = c.extraParameters();
    for (Effect e : effects) {
      if (e instanceof Effect.SetSession s) {
        if (ParameterSync.tracked(s.name()) == null) {
          clientExtras.put(s.name(), s.value());
          serverExtras.put(s.name(), s.value());
        }
      } else if (e instanceof Effect.ResetSetting r) {
        if (ParameterSync.tracked(r.name()) == null) {
          String startup = c.startupExtras().get(r.name());
          if (startup != null) {
            clientExtras.put(r.name(), startup);
          } else {
            clientExtras.remove(r.name());
          }
          serverExtras.remove(r.name());
        }
      } else if (e instanceof Effect.ResetAll) {
        resetAll(c, serverExtras);
      } else if (e instanceof Effect.DiscardAll) {
        resetAll(c, serverExtras);
        clearPins();
        listened = false;
        listens.unlistenAll(c);
      } else if (e instanceof Effect.DropAllTemp) {
        tempTables.clear();
        anonymousTemp = false;
      } else if (e instanceof Effect.AdvisoryUnlock) {
        if (advisoryLocks > 0 && --advisoryLocks == 0) {
          advisoryReleased = true;
        }
      } else if (e instanceof Effect.AdvisoryUnlockAll) {
        advisoryLocks = 0;
        advisoryReleased = false;
      } else if (e instanceof Effect.DropTable d) {
        tempTables.remove(d.name());
      } else if (e instanceof Effect.CloseCursor cc) {
        cursors.remove(cc.name());
      } else if (e instanceof Effect.CloseAllCursors) {
        cursors.clear();
      } else if (e instanceof Effect.Deallocate d) {
        prepared.remove(d.name());
      } else if (e instanceof Effect.DeallocateAll) {
        prepared.clear();
      } else if (e instanceof Effect.Listen l) {
        java.util.concurrent.CompletableFuture<Void> f = listens.listen(c, l.channel());
        if (!f.isDone()) {
          wait = wait == null ? f : java.util.concurrent.CompletableFuture.allOf(wait, f);
        }
      } else if (e instanceof Effect.Unlisten u) {
        listens.unlisten(c, u.channel());
      } else if (e instanceof Effect.UnlistenAll) {
        listens.unlistenAll(c);
      }
    }
    return wait;
  }

  private void resetAll(LinkedClient c, Map<String, String> serverExtras) {
    c.extraParameters().clear();
    c.extraParameters().putAll(c.startupExtras());
    serverExtras.clear();
  }

  private boolean addPin(Effect.Pin pin) {
    boolean was = pinned();
    switch (pin.reason()) {
      case Effect.Pin.ADVISORY_LOCK:
        advisoryLocks++;
        break;
      case Effect.Pin.TEMP_TABLE:
        if (pin.name() == null) {
          anonymousTemp = true;
        } else {
          tempTables.add(pin.name());
        }
        break;
      case Effect.Pin.CURSOR_WITH_HOLD:
        cursors.add(pin.name());
        break;
      case Effect.Pin.PREPARE:
        prepared.add(pin.name());
        break;
      case Effect.Pin.LOAD:
        loaded = true;
        break;
      case Effect.Pin.SET_ROLE:
        roleSet = true;
        break;
      default:
        otherPin = true;
        break;
    }
    lastPinReason = pin.reason();
    return !was;
  }

  /** True while the server holds state the client needs and no other server has. */
  boolean pinned() {
    return checkedPin != null
        || advisoryLocks > 0
        || !tempTables.isEmpty()
        || anonymousTemp
        || !cursors.isEmpty()
        || !prepared.isEmpty()
        || loaded
        || roleSet
        || otherPin;
  }

  /** Why the client is pinned, for logs and views; null when it is not. */
  String pinReason() {
    return pinned() ? (lastPinReason != null ? lastPinReason : checkedPin) : null;
  }

  /**
   * What must run before this server serves another client: every session state is dropped when
   * anything was pinned or listened; advisory locks are released when the last counted one was
   * unlocked (a lock taken in a loop or a WHERE clause is counted once).
   */
  String cleanupQuery() {
    if (pinned() || listened || uncertain != null) {
      return "DISCARD ALL";
    }
    if (resetSettings) {
      // SET SESSION AUTHORIZATION DEFAULT too: RESET ALL leaves the role and the session user.
      String reset = "SET SESSION AUTHORIZATION DEFAULT; RESET ALL";
      return advisoryReleased ? reset + "; SELECT pg_catalog.pg_advisory_unlock_all()" : reset;
    }
    if (advisoryReleased) {
      return "SELECT pg_catalog.pg_advisory_unlock_all()";
    }
    return null;
  }

  /** The server's session was reset (DISCARD ALL): nothing is held any more. */
  void clearPins() {
    checkedPin = null;
    advisoryLocks = 0;
    advisoryReleased = false;
    tempTables.clear();
    anonymousTemp = false;
    cursors.clear();
    prepared.clear();
    loaded = false;
    roleSet = false;
    otherPin = false;
    listened = false;
    lastPinReason = null;
  }

  /** After the cleanup query ran. */
  void cleaned() {
    clearPins();
    pending.clear();
    failed = false;
    uncertain = null;
    resetSettings = false;
    unnamedStatement = List.of();
    namedStatements = null;
  }

  /**
   * Reads the server's session state back in one query, run between transactions: the settings
   * made in this session, and whether anything that cannot be replayed is held. Every operator is
   * pg_catalog's, so that a client's search_path cannot make the check lie.
   */
  static final String CHECK_QUERY =
      "SELECT 's', name, setting FROM pg_catalog.pg_settings"
          + " WHERE source OPERATOR(pg_catalog.=) 'session'"
          + " UNION ALL SELECT 'p', 'advisory_lock', NULL WHERE EXISTS (SELECT FROM pg_catalog.pg_locks"
          + " WHERE locktype OPERATOR(pg_catalog.=) 'advisory'"
          + " AND pid OPERATOR(pg_catalog.=) pg_catalog.pg_backend_pid())"
          + " UNION ALL SELECT 'p', 'temp_table', NULL WHERE EXISTS (SELECT FROM pg_catalog.pg_class"
          + " WHERE relnamespace OPERATOR(pg_catalog.=) pg_catalog.pg_my_temp_schema())"
          + " UNION ALL SELECT 'p', 'cursor_with_hold', NULL WHERE EXISTS (SELECT FROM"
          + " pg_catalog.pg_cursors WHERE is_holdable)"
          + " UNION ALL SELECT 'p', 'prepare', NULL WHERE EXISTS (SELECT FROM"
          + " pg_catalog.pg_prepared_statements WHERE from_sql)"
          + " UNION ALL SELECT 'l', 'listen', NULL WHERE EXISTS (SELECT FROM"
          + " pg_catalog.pg_listening_channels())"
          // role and session_authorization are not in pg_settings (GUC_NO_SHOW_ALL), and RESET
          // ALL leaves them: read them as such.
          + " UNION ALL SELECT 's', 'role', pg_catalog.current_setting('role')"
          + " UNION ALL SELECT 'a', 'session_authorization', pg_catalog.current_setting('session_authorization')";

  /** Settings that are the transaction's or the login's, never a client's to carry. */
  private static final Set<String> NOT_CARRIED =
      Set.of("transaction_isolation", "transaction_read_only", "transaction_deferrable");

  /**
   * The check's rows: the settings found become the client's (it keeps seeing what PostgreSQL
   * shows it) and this server's record; what cannot be replayed pins the client here, as does a
   * session authorization other than {@code loginUser}, the user the server logged in as (null:
   * not compared).
   *
   * @return the pin reason the check found, or null
   */
  String adopt(
      List<List<String>> rows, Map<String, String> clientExtras, Map<String, String> serverExtras, String loginUser) {
    Map<String, String> session = new java.util.HashMap<>();
    String pin = null;
    for (List<String> row : rows) {
      if (row.size() != 3 || row.get(0) == null || row.get(1) == null) {
        throw new ProtocolException("the session state check's answer has a row " + row + ", not a kind, a name and a value");
      }
      String kind = row.get(0);
      String name = row.get(1);
      if (kind.equals("p")) {
        pin = pin == null ? name : pin;
      } else if (kind.equals("a")) {
        if (loginUser != null && row.get(2) != null && !loginUser.equals(row.get(2))) {
          pin = pin == null ? Effect.Pin.SET_ROLE : pin;
        }
      } else if (kind.equals("l")) {
        listened = true;
      } else if (name.equals("role") || name.equals("session_authorization")) {
        if (!"none".equals(row.get(2)) && !"default".equals(row.get(2))) {
          pin = pin == null ? Effect.Pin.SET_ROLE : pin;
        }
      } else if (ParameterSync.tracked(name) == null && !NOT_CARRIED.contains(name) && row.get(2) != null) {
        session.put(name, row.get(2));
      }
    }
    // pg_settings does not list custom placeholders (app.user): for those, what the client was
    // seen to set stands (a RESET of one inside a function is not seen, and stays the client's).
    clientExtras.keySet().removeIf(name -> !session.containsKey(name) && name.indexOf('.') < 0);
    clientExtras.putAll(session);
    serverExtras.clear();
    serverExtras.putAll(session);
    // Statements the client sent after the check are pending or made the state uncertain again:
    // they ran after it, and are kept.
    resetSettings = true;
    if (pin != null) {
      checkedPin = pin;
      lastPinReason = pin;
    }
    return pin;
  }

  /**
   * The check is sent: it will see everything done so far. What the client sends after it (its
   * bytes follow the check on the server) may make the state uncertain again.
   */
  void checkStarted() {
    uncertain = null;
  }

  /** The check could not run: the client keeps this server, which is reset when it leaves. */
  void checkFailed() {
    checkedPin = Effect.Pin.UNVERIFIED_STATE;
    lastPinReason = checkedPin;
  }
}
