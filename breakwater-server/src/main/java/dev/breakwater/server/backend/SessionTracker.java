package dev.breakwater.server.backend;

import dev.breakwater.server.frontend.ClientConnection;
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
    java.util.concurrent.CompletableFuture<Void> listen(ClientConnection c, String channel);

    void unlisten(ClientConnection c, String channel);

    void unlistenAll(ClientConnection c);
  }

  private final List<Effect> pending = new ArrayList<>();
  private boolean failed;

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
  String onStatement(ByteBuf sql, boolean pinning) {
    droppedStatements = false;
    int from = sql.readerIndex();
    int nul = sql.indexOf(from, sql.writerIndex(), (byte) 0);
    int length = (nul < 0 ? sql.writerIndex() : nul) - from;
    if (sql.hasArray()) {
      // A heap buffer: read its array in place.
      byte[] array = sql.array();
      int offset = sql.arrayOffset() + from;
      if (!StatementClassifier.mightHaveEffects(array, offset, length)) {
        return null;
      }
      return classify(new String(array, offset, length, StandardCharsets.UTF_8), pinning);
    }
    if (length > scratch.length) {
      if (length > 1 << 20) {
        // Too long to copy for a pre-check: classify it, as rarely as such statements come.
        return classify(sql.toString(from, length, StandardCharsets.UTF_8), pinning);
      }
      scratch = new byte[Integer.highestOneBit(length) << 1];
    }
    sql.getBytes(from, scratch, 0, length);
    if (!StatementClassifier.mightHaveEffects(scratch, 0, length)) {
      return null;
    }
    return classify(new String(scratch, 0, length, StandardCharsets.UTF_8), pinning);
  }

  /** Whether the last statement read drops prepared statements (DISCARD ALL, DEALLOCATE ALL). */
  boolean droppedStatements() {
    return droppedStatements;
  }

  private String classify(String text, boolean pinning) {
    String pinned = null;
    for (Effect e : StatementClassifier.classify(text)) {
      if (e instanceof Effect.Pin pin) {
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
      boolean idle, ClientConnection c, Map<String, String> serverExtras, java.util.function.Supplier<Listens> listens) {
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
      List<Effect> effects, ClientConnection c, Map<String, String> serverExtras, Listens listens) {
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

  private void resetAll(ClientConnection c, Map<String, String> serverExtras) {
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
    return advisoryLocks > 0
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
    return pinned() ? lastPinReason : null;
  }

  /**
   * What must run before this server serves another client: every session state is dropped when
   * anything was pinned or listened; advisory locks are released when the last counted one was
   * unlocked (a lock taken in a loop or a WHERE clause is counted once).
   */
  String cleanupQuery() {
    if (pinned() || listened) {
      return "DISCARD ALL";
    }
    if (advisoryReleased) {
      return "SELECT pg_catalog.pg_advisory_unlock_all()";
    }
    return null;
  }

  /** The server's session was reset (DISCARD ALL): nothing is held any more. */
  void clearPins() {
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
  }
}
