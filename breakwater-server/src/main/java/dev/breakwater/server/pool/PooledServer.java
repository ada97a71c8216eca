package dev.breakwater.server.pool;

import dev.breakwater.server.CloseReason;
import io.netty.channel.EventLoop;

/**
 * What a pool needs of a server connection: its loop, its list, its age, lending it to a borrower,
 * and closing it. The pool knows servers only through this.
 */
public interface PooledServer {

  /** The loop the server runs on. */
  EventLoop eventLoop();

  /** The list the server is on; only {@link ServerLists#move} and closing change it. */
  ServerState state();

  /** Sets the state (for a pooled server, only {@link ServerLists#move} does); closed stays so. */
  void moveTo(ServerState to);

  /** A replication client's server, for that client alone: never idle, never lent to another. */
  boolean isReplication();

  /** The pool's generation when the server was made (see {@link Pool#reconnect}). */
  int generation();

  /** Whether a client has used it (server_lifetime = 0 closes it once released). */
  boolean wasUsed();

  long createdNanos();

  /** Since when it has been idle (nanoTime). */
  long idleSinceNanos();

  /** Since when it has been running Breakwater's own queries (nanoTime). */
  long testedSinceNanos();

  /** The client linked to it, or null. */
  PoolClient client();

  /** Why it is closing, or null while it is not. */
  CloseReason closingReason();

  /** Starts connecting (after the pool let go of its lock). */
  void connect();

  /** Lends the server to {@code b}: the link is made later, by a task on the server's loop. */
  void assign(Borrower b);

  /** Lends the server to {@code b}: at once on the server's loop, else as {@link #assign}. */
  void dispatch(Borrower b);

  /** It went back to the idle list (its idle time starts now). */
  void markIdle();

  /** It went from one client straight to a waiting one. */
  void markHandedOn(long now);

  /** It is to be closed, for {@code reason}: nothing more is lent or released through it. */
  void markClosing(CloseReason reason);

  void close(CloseReason reason);

  /** server_fast_close: closes it at once if its client is between transactions. */
  void fastCloseIfBetweenTransactions();

  /** How long the query it runs has run, 0 when none does (query_timeout). */
  long queryRunningNanos(long now);

  /** How long its client's transaction has run, 0 when none is open (transaction_timeout). */
  long transactionRunningNanos(long now);

  /** How long its client has been idle in a transaction, else 0 (idle_transaction_timeout). */
  long idleInTransactionNanos(long now);

  /** query_timeout: cancels the query it runs. */
  void cancelForTimeout();
}
