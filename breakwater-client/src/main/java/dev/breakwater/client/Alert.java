package dev.breakwater.client;

/** The seed documents' three pool alerts, each with what to do about it. */
public enum Alert {
  /** {@code waiting > 0} for longer than {@link AlertSettings#waitingFor()} (30 s). */
  POOL_WAITING("callers have been waiting for a connection", "scale out or raise DATABASE_POOL_MAX_SIZE"),
  /** {@code total == max} for longer than {@link AlertSettings#saturatedFor()} (60 s). */
  POOL_SATURATED(
      "the pool has had every connection it may open open",
      "pool exhaustion risk: look for slow queries or connections held too long, or raise the max"),
  /** A connection attempt failed. */
  CONNECTION_ERRORS(
      "connecting to the database fails", "check the database's status and the credentials");

  private final String condition;
  private final String action;

  Alert(String condition, String action) {
    this.condition = condition;
    this.action = action;
  }

  public String condition() {
    return condition;
  }

  public String action() {
    return action;
  }
}
