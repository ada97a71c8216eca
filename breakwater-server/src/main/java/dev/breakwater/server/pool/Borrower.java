package dev.breakwater.server.pool;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import io.netty.channel.EventLoop;

/**
 * Whoever waits in a pool for a server: a client connection, or one of Breakwater's own queries
 * (an auth_query lookup). Served first come, first served.
 */
public interface Borrower {
  /** The event loop a new server for this borrower is best opened on. */
  EventLoop eventLoop();

  /** True when the borrower has gone and needs nothing any more. */
  boolean isClosed();

  long waitStartedNanos();

  void waitStartedNanos(long now);

  /**
   * The borrower has waited longer than query_wait_notify: tell it so, once per wait (PgBouncer's
   * NOTICE). From the pool's maintenance, holding the pool's lock: must not block.
   */
  default void waitingLong(String database) {}

  /** No server could be had: tell the borrower why. From any thread. */
  void failWaiting(ErrorFields error, CloseReason reason);
}
