package dev.breakwater.server;

/** Why a client or server connection was closed: logged, counted and shown. */
public enum CloseReason {
  // Clients
  CLIENT_TERMINATE("client sent Terminate"),
  CLIENT_CLOSED("client closed the connection"),
  CLIENT_PROTOCOL_VIOLATION("client broke the protocol"),
  CLIENT_LOGIN_FAILED("client login failed"),
  CLIENT_LOGIN_TIMEOUT("client_login_timeout"),
  MAX_CLIENT_CONN("max_client_conn reached"),
  CLIENT_CONNECTION_LIMIT("max_db_client_connections or max_user_client_connections reached"),
  UNKNOWN_DATABASE("no such database"),
  QUERY_WAIT_TIMEOUT("query_wait_timeout"),
  SERVER_UNAVAILABLE("server could not be reached"),
  LINKED_SERVER_LOST("the client's server closed"),
  TRANSACTION_IN_STATEMENT_MODE("transaction blocks not allowed in statement pooling mode"),
  CLIENT_IO_ERROR("client I/O error"),
  IDLE_TRANSACTION_TIMEOUT("idle_transaction_timeout"),
  TRANSACTION_TIMEOUT("transaction_timeout"),
  CLIENT_IDLE_TIMEOUT("client_idle_timeout"),
  NOTIFICATION_QUEUE_FULL("too many notifications waiting for the client"),
  CLIENT_MEMORY("the pooler's memory for clients' messages is spent"),
  // Servers
  SERVER_CLOSED("server closed the connection"),
  SERVER_FATAL("server sent a FATAL error"),
  SERVER_PROTOCOL_VIOLATION("server broke the protocol"),
  SERVER_MID_MESSAGE("server was in the middle of a message when it was to be given back"),
  SERVER_IO_ERROR("server I/O error"),
  CONNECT_FAILED("could not connect to server"),
  CONNECT_TIMEOUT("server_connect_timeout"),
  SERVER_LOGIN_FAILED("server login failed"),
  CLIENT_GONE_MID_QUERY("client disconnected while its query was running"),
  CLIENT_GONE_UNSYNCED("client disconnect while server was not ready (extended-protocol messages with no Sync)"),
  RESET_FAILED("reset query failed"),
  CHECK_FAILED("server_check_query failed"),
  PARAMETERS_FAILED("setting a client's parameters failed"),
  SERVER_IDLE_TIMEOUT("server_idle_timeout"),
  SERVER_LIFETIME("server_lifetime"),
  EVICTED("closed to make room for another pool"),
  RECONNECT("RECONNECT or a reload moved the database"),
  PAUSED("PAUSE"),
  KILLED("KILL from the admin console"),
  DATABASE_DISABLED("database is disabled"),
  REPLICATION_CLIENT_GONE("replication client disconnected"),
  AUTH_LOOKUP_DONE("the auth_query lookup it was opened for is done (a database of the * entry)"),
  // Both
  SHUTDOWN("Breakwater is shutting down"),
  INTERNAL_ERROR("internal error");

  private final String description;

  CloseReason(String description) {
    this.description = description;
  }

  public String description() {
    return description;
  }
}
