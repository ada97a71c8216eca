package dev.breakwater.server.pool;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import java.util.concurrent.CompletableFuture;

/**
 * What a pool needs of a client connection, beyond waiting for a server ({@link Borrower}): its
 * idleness, for client_idle_timeout, and closing it, for KILL. The pool knows clients only through
 * this.
 */
public interface PoolClient extends Borrower {

  /** Logged in, with no server and nothing to run. */
  boolean isIdle();

  /** When the client last sent something (nanoTime). */
  long lastActivityNanos();

  /** Sends the client {@code error} and closes it. From any thread; completes once it is done. */
  CompletableFuture<Void> closeWithError(ErrorFields error, CloseReason reason);
}
