package dev.breakwater.server.frontend;

/** The states of a client connection, named as PgBouncer's SHOW CLIENTS names them. */
public enum ClientState {
  /** Connected, not yet logged in. */
  LOGIN,
  /** Logged in, with no server and nothing to run. */
  IDLE,
  /** Has work to run and waits for a server. */
  WAITING,
  /** Linked to a server. */
  ACTIVE,
  /** Closed. */
  CLOSED
}
