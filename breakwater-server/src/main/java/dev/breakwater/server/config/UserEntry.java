package dev.breakwater.server.config;

import java.time.Duration;

/**
 * One line of {@code [users]}: settings for every connection of one user, e.g. {@code report =
 * pool_mode=session max_user_connections=5}. Null means "not given" (inherit). As in PgBouncer, a
 * zero timeout or limit here also means "not given": the global value applies.
 *
 * @param maxUserClientConnections PgBouncer 1.24's per-user client limit
 */
public record UserEntry(
    String name,
    PoolMode poolMode,
    Integer poolSize,
    Integer reservePoolSize,
    Integer maxUserConnections,
    Duration queryTimeout,
    Duration idleTransactionTimeout,
    Duration transactionTimeout,
    Duration clientIdleTimeout,
    Integer maxUserClientConnections) {

  /** An entry with only a name, inheriting everything. */
  public static UserEntry named(String name) {
    return new UserEntry(name, null, null, null, null, null, null, null, null, null);
  }
}
