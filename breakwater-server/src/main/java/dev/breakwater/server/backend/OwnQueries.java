package dev.breakwater.server.backend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.pool.ServerState;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.config.PoolMode;
import dev.breakwater.server.pool.PoolSettings;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Breakwater's own queries on one server: setting a client's parameters ahead of its messages, the
 * cleanup after a client (ROLLBACK, the reset query, DISCARD ALL or RESET ALL), connect_query,
 * server_check_query, reading a client's session state back, LISTEN and UNLISTEN on a pool's
 * listening connection, and auth_query lookups. Their replies are read here and never reach a
 * client. On the server's loop only.
 */
final class OwnQueries {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

  private final ServerConnection s;

  OwnQueries(ServerConnection s) {
    this.s = s;
  }

  /** What Breakwater's own queries on this server are for. */
  enum Internal {
    NONE,
    /** Setting the next client's parameters, ahead of its messages. */
    SYNC,
    /** ROLLBACK and the reset query, after a client; then back to the pool. */
    RESET,
    /** connect_query, after login; then ready. */
    CONNECT_QUERY,
    /** server_check_query, before lending a server idle longer than server_check_delay. */
    CHECK,
    /** One of Breakwater's own queries, whose rows are kept (auth_query). */
    LOOKUP,
    /** LISTEN or UNLISTEN on the pool's listening connection. */
    LISTEN_COMMAND,
    /** Reading back the session state a client left uncertain (SessionTracker.CHECK_QUERY). */
    CHECK_STATE
  }

  Internal internal = Internal.NONE;
  /** The cleanup being run drops the whole session (DISCARD ALL). */
  private boolean resetDiscards;
  /** The cleanup being run resets every setting (RESET ALL or DISCARD ALL). */
  private boolean resetSettings;
  /** The client a server check is for. */
  LinkedClient checkingFor;
  /** The query being run for Breakwater itself, and its rows so far. */
  InternalQuery lookup;
  List<List<String>> lookupRows;
  int internalReplies;
  ErrorFields internalError;

  /** Runs one of Breakwater's own queries (auth_query) with its parameters, then back to the pool. */
  void runQuery(InternalQuery q) {
    if (s.stateRef.get() == ServerState.CLOSED || s.closingReason != null) {
      s.pool.requeue(q);
      return;
    }
    lookup = q;
    lookupRows = new java.util.ArrayList<>();
    internal = Internal.LOOKUP;
    internalReplies = 1;
    internalError = null;
    s.scanner.inspect(MessageType.DATA_ROW, true);
    ByteBuf out = s.channel.alloc().buffer();
    FrontendMessages.parse(out, "", q.sql());
    FrontendMessages.bind(out, "", "", q.parameters());
    FrontendMessages.execute(out, "", 0);
    FrontendMessages.sync(out);
    s.channel.writeAndFlush(out);
  }

  /** Before going back to the pool: roll back what is open, run the reset query where due. */
  void cleanUpAndRelease(boolean clientLeft) {
    PoolSettings cfg = s.pool.settings();
    List<String> queries = new java.util.ArrayList<>(2);
    if (s.transactionStatus != TransactionStatus.IDLE) {
      queries.add("ROLLBACK");
    }
    boolean reset =
        (clientLeft && cfg.mode() == PoolMode.SESSION) || cfg.resetQueryAlways();
    if (reset && cfg.resetQuery() != null && !cfg.resetQuery().isBlank()) {
      queries.add(cfg.resetQuery());
    }
    String sessionCleanup = s.tracker.cleanupQuery();
    if (sessionCleanup != null && !queries.contains(sessionCleanup)) {
      queries.add(sessionCleanup);
    }
    resetDiscards = queries.stream().anyMatch(q -> q.toUpperCase(java.util.Locale.ROOT).contains("DISCARD ALL"));
    resetSettings = resetDiscards || queries.stream().anyMatch(q -> q.toUpperCase(java.util.Locale.ROOT).contains("RESET ALL"));
    s.channel.config().setAutoRead(true);
    s.mapper.clear();
    if (queries.isEmpty()) {
      s.pool.release(s);
    } else {
      s.testedSinceNanos = System.nanoTime();
      s.pool.testing(s);
      runInternal(Internal.RESET, queries);
    }
  }

  /**
   * Reads back the session state of the linked client, whose last transaction did something the
   * pooler could not follow; the client stays linked meanwhile (its next bytes follow the check).
   */
  void startStateCheck() {
    s.pool.stats().stateCheck();
    log.debug("S-{}: reading back the session state {} left ({})", s.id, s.link, s.tracker.uncertainty());
    s.tracker.checkStarted();
    lookupRows = new java.util.ArrayList<>();
    s.scanner.inspect(MessageType.DATA_ROW, true);
    runInternal(Internal.CHECK_STATE, List.of(SessionTracker.CHECK_QUERY));
  }

  /** The state check's answer: adopted by the client, and the server released if it may go. */
  private void stateChecked(ErrorFields error) {
    List<List<String>> rows = lookupRows;
    lookupRows = null;
    s.scanner.inspect(MessageType.DATA_ROW, false);
    Link l = s.link;
    if (l == null) {
      return;
    }
    LinkedClient c = l.client();
    String pin;
    if (error != null) {
      log.warn("S-{}: reading back the session state of {} failed, keeping it on this server: {}", s.id, c, error);
      s.tracker.checkFailed();
      pin = s.tracker.pinReason();
    } else {
      pin = s.tracker.adopt(rows, c.extraParameters(), s.parameters.extras, s.pool.settings().serverUser());
      s.parameters.changed();
    }
    if (pin != null) {
      s.pool.stats().pinned(pin);
      log.debug("S-{}: {} is pinned to this server: {} (found by the state check)", s.id, c, pin);
    }
    s.replies.reconsider(l);
  }

  /** Whether one of Breakwater's own queries runs: its replies are read here. */
  boolean running() {
    return internal != Internal.NONE;
  }

  /** Whether the query that runs sets the linked client's parameters. */
  boolean settingParameters() {
    return internal == Internal.SYNC;
  }

  /** Whether the query that runs is for the linked client (its settings, its state check). */
  boolean runsForClient() {
    return internal == Internal.SYNC || internal == Internal.CHECK_STATE;
  }

  /** Writes the query that sets the next client's parameters, ahead of its messages (not flushed). */
  void writeSync(String sql) {
    internal = Internal.SYNC;
    internalReplies = 1;
    internalError = null;
    ByteBuf q = s.channel.alloc().buffer();
    FrontendMessages.query(q, sql);
    s.channel.write(q);
  }

  void runInternal(Internal kind, List<String> queries) {
    internal = kind;
    internalReplies = queries.size();
    internalError = null;
    ByteBuf q = s.channel.alloc().buffer();
    for (String sql : queries) {
      FrontendMessages.query(q, sql);
    }
    s.channel.writeAndFlush(q);
  }

  void internalDone() {
    Internal kind = internal;
    internal = Internal.NONE;
    ErrorFields error = internalError;
    internalError = null;
    switch (kind) {
      case SYNC:
        if (error == null && s.link != null) {
          // PostgreSQL reports a setting only when its value changes: record that the server now
          // holds the client's values, so the same client (or one like it) needs no SET next time.
          Map<String, String> wanted = s.link.client().reportedParameters();
          for (String name : ParameterSync.TRACKED) {
            String v = wanted.get(name);
            if (v != null) {
              s.parameters.report(name, v);
            }
          }
        }
        if (error != null) {
          log.warn("S-{}: setting the parameters of {} failed: {}", s.id, s.client(), error);
          // The client's messages follow in the same write, to run with settings it did not ask
          // for: their answers go nowhere. The client gets the error, then a close, with its server.
          s.closeNow(CloseReason.PARAMETERS_FAILED, error);
        }
        break;
      case RESET:
        if (error != null) {
          log.warn("S-{}: reset failed on {}: {}", s.id, s.where(), error);
          s.close(CloseReason.RESET_FAILED);
        } else {
          if (resetSettings) {
            s.parameters.settingsReset();
          }
          if (resetDiscards) {
            s.mapper.serverReset();
          }
          s.tracker.cleaned();
          s.replies.afterOwnQuery(Replies.AfterRead.RETURN);
        }
        break;
      case CONNECT_QUERY:
        if (error != null) {
          s.loginFailed(CloseReason.SERVER_LOGIN_FAILED, error);
        } else {
          s.replies.afterOwnQuery(Replies.AfterRead.READY);
        }
        break;
      case CHECK_STATE:
        stateChecked(error);
        break;
      case LISTEN_COMMAND:
        if (error != null) {
          log.warn("S-{}: listening connection: {}", s.id, error);
        }
        s.listenerRole.onCommandDone(s);
        break;
      case LOOKUP:
        {
          InternalQuery q = lookup;
          List<List<String>> rows = lookupRows;
          lookup = null;
          lookupRows = null;
          s.scanner.inspect(MessageType.DATA_ROW, false);
          if (error != null) {
            q.fail(error);
          } else {
            q.complete(rows);
          }
          s.replies.afterOwnQuery(Replies.AfterRead.RETURN);
          break;
        }
      case CHECK:
        {
          s.idleSinceNanos = System.nanoTime();
          if (error != null) {
            LinkedClient c = checkingFor;
            checkingFor = null;
            log.warn("S-{}: server_check_query failed on {}: {}", s.id, s.where(), error);
            s.close(CloseReason.CHECK_FAILED);
            s.pool.requeue(c);
          } else {
            s.replies.afterOwnQuery(Replies.AfterRead.LINK); // checkingFor stays, for a close meanwhile to requeue
          }
          break;
        }
      default:
        break;
    }
  }

  boolean onInternalMessage(byte type, ByteBuf message) {
    switch (type) {
      case MessageType.DATA_ROW:
        if (lookupRows != null) {
          lookupRows.add(InternalQuery.decodeRow(message));
        }
        return false;
      case MessageType.READY_FOR_QUERY:
        return s.replies.onReadyForQuery(TransactionStatus.ofReadyForQuery(message), message);
      case MessageType.PARAMETER_STATUS:
        return s.replies.onParameterStatus(message);
      case MessageType.ERROR_RESPONSE:
        return s.replies.onError(ErrorFields.decode(message));
      default:
        return false;
    }
  }
}
