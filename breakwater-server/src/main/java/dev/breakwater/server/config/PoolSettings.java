package dev.breakwater.server.config;

import java.time.Duration;

/**
 * The settings of one pool (database, user) after overrides are applied, in PgBouncer's order of
 * precedence: {@code [users]} entry, then {@code [databases]} entry, then {@code [pgbouncer]}.
 * Made once per pool by {@link Settings#poolSettings}; a reload makes new ones.
 *
 * @param user the server-side user: the database's forced {@code user=}, else the client's
 * @param poolSize 0 means no limit (PgBouncer 1.24)
 * @param maxDbConnections 0 means no limit
 * @param maxUserConnections 0 means no limit
 */
public record PoolSettings(
    DatabaseEntry database,
    String user,
    PoolMode poolMode,
    int poolSize,
    int minPoolSize,
    int reservePoolSize,
    int maxDbConnections,
    int maxUserConnections,
    int maxDbClientConnections,
    int maxUserClientConnections,
    Duration serverLifetime,
    Duration queryTimeout,
    Duration idleTransactionTimeout,
    Duration transactionTimeout,
    Duration clientIdleTimeout) {}
