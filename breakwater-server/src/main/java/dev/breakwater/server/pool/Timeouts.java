package dev.breakwater.server.pool;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.CloseReason;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The time limits on a pool's clients and what each does when it runs out: query_wait_timeout
 * (and query_timeout while waiting), query_timeout, idle_transaction_timeout, transaction_timeout
 * and client_idle_timeout. Applied by the pool's maintenance, outside its lock.
 */
final class Timeouts {

  private Timeouts() {}

  /** Whether query_timeout bounds the wait for a server: as PgBouncer, when it is the shorter. */
  static boolean queryTimeoutBoundsWait(PoolSettings cfg) {
    long waitLimit = cfg.queryWaitTimeout().toNanos();
    long queryLimit = cfg.queryTimeout().toNanos();
    return queryLimit > 0 && (waitLimit <= 0 || queryLimit < waitLimit);
  }

  /** How long a client may wait for a server (see {@link #queryTimeoutBoundsWait}); 0: for ever. */
  static long waitLimit(PoolSettings cfg) {
    return (queryTimeoutBoundsWait(cfg) ? cfg.queryTimeout() : cfg.queryWaitTimeout()).toNanos();
  }

  /**
   * The error of a client that waited too long for a server; with {@code cause}, the pool's last
   * server error, as its DETAIL when the wait was for a server that could not be had.
   */
  static ErrorFields waitExpired(PoolSettings cfg, ErrorFields cause) {
    boolean queryTimedOut = queryTimeoutBoundsWait(cfg);
    ErrorFields error =
        queryTimedOut
            ? ErrorFields.of("ERROR", SqlState.QUERY_CANCELED, "query_timeout")
            : ErrorFields.of("ERROR", SqlState.TOO_MANY_CONNECTIONS, "query_wait_timeout");
    if (cause != null && !queryTimedOut) {
      Map<Character, String> f = new LinkedHashMap<>(error.fields());
      f.put(ErrorFields.DETAIL, "no server could be had: " + cause.message());
      error = new ErrorFields(f);
    }
    return error;
  }

  /**
   * query_timeout cancels a query running too long (the client gets 57014 from PostgreSQL and keeps
   * its connection); idle_transaction_timeout (25P03) and transaction_timeout (25P04) close the
   * client, whose transaction is then rolled back; client_idle_timeout (57P05) closes a client that
   * has done nothing for that long.
   */
  static void enforce(PoolSettings cfg, long now, Lender lender, Collection<PoolClient> clients) {
    long queryTimeout = cfg.queryTimeout().toNanos();
    long idleTx = cfg.idleTransactionTimeout().toNanos();
    long txTimeout = cfg.transactionTimeout().toNanos();
    if (queryTimeout > 0 || idleTx > 0 || txTimeout > 0) {
      for (PooledServer s : lender.activeServers()) {
        PoolClient c = s.client();
        if (queryTimeout > 0 && s.queryRunningNanos(now) > queryTimeout) {
          s.cancelForTimeout();
        } else if (c != null && idleTx > 0 && s.idleInTransactionNanos(now) > idleTx) {
          c.failWaiting(
              ErrorFields.of("FATAL", SqlState.IDLE_IN_TRANSACTION_SESSION_TIMEOUT, "idle transaction timeout"),
              CloseReason.IDLE_TRANSACTION_TIMEOUT);
        } else if (c != null && txTimeout > 0 && s.transactionRunningNanos(now) > txTimeout) {
          c.failWaiting(
              ErrorFields.of("FATAL", SqlState.TRANSACTION_TIMEOUT, "transaction timeout"),
              CloseReason.TRANSACTION_TIMEOUT);
        }
      }
    }
    long clientIdle = cfg.clientIdleTimeout().toNanos();
    if (clientIdle > 0) {
      for (PoolClient c : clients) {
        if (c.isIdle() && now - c.lastActivityNanos() > clientIdle) {
          c.failWaiting(
              ErrorFields.of("FATAL", SqlState.IDLE_SESSION_TIMEOUT, "client_idle_timeout"),
              CloseReason.CLIENT_IDLE_TIMEOUT);
        }
      }
    }
  }
}
