package dev.breakwater.server.pool;

/**
 * The states of a server connection, named as PgBouncer's SHOW SERVERS names them: each but CLOSED
 * is a list of its pool ({@link ServerLists}), which alone moves a pooled server between them.
 */
public enum ServerState {
  /** Connecting and logging in. */
  LOGIN,
  /** In the pool, ready for any client. */
  IDLE,
  /** Linked to a client. */
  ACTIVE,
  /** Running Breakwater's own queries: the reset query, a rollback, connect_query. */
  TESTED,
  /** Closed, or closing. */
  CLOSED
}
