package dev.breakwater.client;

import java.time.Duration;
import java.time.Instant;

/**
 * An alert starting or ending on a pool.
 *
 * @param lasted for STARTED, how long the condition had held; for ENDED, how long the alert was on
 * @param detail for CONNECTION_ERRORS, the last error and its SQLSTATE; otherwise empty
 */
public record AlertEvent(
    Alert alert, State state, String pool, Instant at, Duration lasted, PoolStats stats, String detail) {

  public enum State {
    STARTED,
    ENDED
  }

  /** One line for a log: what, where, for how long, and what to do. */
  public String message() {
    StringBuilder sb = new StringBuilder("pool '").append(pool).append("' ");
    if (state == State.STARTED) {
      sb.append(alert).append(" started: ").append(alert.condition());
      if (alert != Alert.CONNECTION_ERRORS) {
        sb.append(" for ").append(Durations.format(lasted));
      }
      sb.append(" (").append(stats).append(')');
      if (!detail.isEmpty()) {
        sb.append(": ").append(detail);
      }
      sb.append(" -> ").append(alert.action());
    } else {
      sb.append(alert).append(" ended after ").append(Durations.format(lasted));
      sb.append(" (").append(stats).append(')');
    }
    return sb.toString();
  }
}
