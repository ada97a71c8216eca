package dev.breakwater.client;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/**
 * The SQLSTATE codes the client acts on, and the one rule that decides whether a failed connection
 * attempt is worth repeating.
 */
public final class SqlStates {
  /** {@code too_many_connections}: the server (or the role, or the database) is at its limit. */
  public static final String TOO_MANY_CONNECTIONS = "53300";
  /** {@code admin_shutdown}: the server is shutting down or the connection was terminated. */
  public static final String ADMIN_SHUTDOWN = "57P01";
  /** {@code cannot_connect_now}: the server is starting up or in recovery. */
  public static final String CANNOT_CONNECT_NOW = "57P03";
  /** {@code query_canceled}: what {@code statement_timeout} raises. */
  public static final String QUERY_CANCELED = "57014";
  /** The class of connection exceptions: 08000, 08001, 08003, 08006, 08P01... */
  public static final String CONNECTION_EXCEPTION_CLASS = "08";
  /**
   * {@code sqlserver_rejected_establishment_of_sqlconnection}: pgjdbc's code for rejections that
   * repeating cannot fix (the server has no TLS but sslmode requires it, a password is required
   * but none was given, an unsupported authentication method). The one 08 code not retried.
   */
  public static final String CONNECTION_REJECTED = "08004";

  /**
   * True if a failed connection attempt may succeed when repeated: 53300, 57P01, 57P03 and class
   * 08 except {@link #CONNECTION_REJECTED}, or a network error with no SQLSTATE. Authentication
   * failures (28xxx), a missing database (3D000) and everything else are not transient: repeating
   * them only delays the real error.
   */
  public static boolean isTransient(SQLException e) {
    String state = e.getSQLState();
    if (state != null) {
      return state.equals(TOO_MANY_CONNECTIONS)
          || state.equals(ADMIN_SHUTDOWN)
          || state.equals(CANNOT_CONNECT_NOW)
          || (state.startsWith(CONNECTION_EXCEPTION_CLASS) && !state.equals(CONNECTION_REJECTED));
    }
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof UnknownHostException) {
        return false;
      }
      if (t instanceof ConnectException
          || t instanceof NoRouteToHostException
          || t instanceof SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private SqlStates() {}
}
