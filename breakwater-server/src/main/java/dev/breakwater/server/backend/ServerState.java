package dev.breakwater.server.backend;

/** The states of a server connection, named as PgBouncer's SHOW SERVERS names them. */
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
