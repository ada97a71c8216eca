package dev.breakwater.client;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;

/**
 * Thrown when {@code getConnection()} could not lend a connection within the pool's connection
 * timeout: every connection was busy, or new ones could not be opened. The message and the getters
 * say which pool, how many connections were in use, how many were open of how many allowed, and
 * how many other callers were still waiting. The cause, when there is one, is the last failed
 * connection attempt.
 */
public class AcquireTimeoutException extends SQLTransientConnectionException {
  private static final long serialVersionUID = 1L;

  private final String poolName;
  private final transient PoolStats stats;
  private final transient Duration waited;

  public AcquireTimeoutException(String poolName, PoolStats stats, Duration waited, SQLException lastFailure) {
    super(message(poolName, stats, waited, lastFailure), sqlState(lastFailure), lastFailure);
    this.poolName = poolName;
    this.stats = stats;
    this.waited = waited;
  }

  private static String message(String pool, PoolStats s, Duration waited, SQLException cause) {
    StringBuilder sb =
        new StringBuilder("pool '")
            .append(pool)
            .append("': no connection within ")
            .append(Durations.format(waited))
            .append(" (")
            .append(s.active())
            .append(" in use, ")
            .append(s.total())
            .append(" open of max ")
            .append(s.max())
            .append(", ")
            .append(s.waiting())
            .append(s.waiting() == 1 ? " other caller" : " other callers")
            .append(" waiting)");
    if (cause != null) {
      sb.append("; last connect error: ").append(cause.getMessage());
      if (cause.getSQLState() != null) {
        sb.append(" [SQLSTATE ").append(cause.getSQLState()).append(']');
      }
    } else if (s.total() >= s.max()) {
      sb.append("; every connection is busy: release connections sooner, or raise DATABASE_POOL_MAX_SIZE");
    }
    return sb.toString();
  }

  private static String sqlState(SQLException cause) {
    return cause != null && cause.getSQLState() != null ? cause.getSQLState() : "08001";
  }

  public String poolName() {
    return poolName;
  }

  /** The pool as it was when the wait ended; {@code waiting} counts the other callers. */
  public PoolStats stats() {
    return stats;
  }

  public Duration waited() {
    return waited;
  }
}
