package dev.breakwater.server.pool;

import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.PoolMode;
import dev.breakwater.server.config.Settings;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Everything one pool needs, resolved once from the global settings, its database entry and its
 * user entry (user over database over global, as PgBouncer). A reload builds new ones.
 */
public record PoolSettings(
    String database,
    String serverHost,
    int serverPort,
    String serverDatabase,
    String serverUser,
    String serverPassword,
    boolean forcedUser,
    PoolMode mode,
    int poolSize,
    int minPoolSize,
    int reservePoolSize,
    Duration reservePoolTimeout,
    int maxDbConnections,
    int maxUserConnections,
    String resetQuery,
    boolean resetQueryAlways,
    boolean serverFastClose,
    Duration queryWaitTimeout,
    Duration queryWaitNotify,
    Duration serverConnectTimeout,
    Duration serverLoginRetry,
    Duration serverIdleTimeout,
    Duration serverLifetime,
    Duration queryTimeout,
    Duration idleTransactionTimeout,
    Duration transactionTimeout,
    Duration clientIdleTimeout,
    String serverCheckQuery,
    Duration serverCheckDelay,
    String connectQuery,
    boolean sessionPinning,
    Map<String, String> serverStartupParameters,
    boolean rotateHosts) {

  public PoolSettings {
    serverStartupParameters =
        Collections.unmodifiableMap(new LinkedHashMap<>(serverStartupParameters));
  }

  /**
   * The hosts of {@code host=a,b}: one for most databases. New server connections take them in
   * turn ({@code load_balance_hosts = round-robin}, {@link #rotateHosts}) or the first that
   * answers ({@code disable}); either way a host that cannot be reached is passed over.
   */
  public java.util.List<String> serverHosts() {
    java.util.List<String> hosts = new java.util.ArrayList<>();
    for (String h : serverHost.split(",")) {
      if (!h.isBlank()) {
        hosts.add(h.strip());
      }
    }
    return hosts.isEmpty() ? java.util.List.of(DatabaseEntry.DEFAULT_HOST) : hosts;
  }

  /**
   * @param clientUser the user the client logged in as; the entry's {@code user=} replaces it on
   *     the server side when set
   */
  public static PoolSettings resolve(Settings settings, DatabaseEntry db, String clientUser) {
    General g = settings.general();
    dev.breakwater.server.config.PoolSettings p = settings.poolSettings(db, clientUser);
    Map<String, String> startup = new LinkedHashMap<>();
    putIfSet(startup, "client_encoding", db.clientEncoding());
    putIfSet(startup, "DateStyle", db.datestyle());
    putIfSet(startup, "TimeZone", db.timezone());
    putIfSet(startup, "application_name", db.applicationName());
    return new PoolSettings(
        db.name(),
        db.host() == null || db.host().isEmpty() ? DatabaseEntry.DEFAULT_HOST : db.host(),
        db.port(),
        db.targetDbname(),
        p.user(),
        db.password(),
        db.forcesUser(),
        p.poolMode(),
        p.poolSize() > 0 ? p.poolSize() : Integer.MAX_VALUE,
        p.minPoolSize(),
        p.reservePoolSize(),
        g.reservePoolTimeout(),
        p.maxDbConnections(),
        p.maxUserConnections(),
        g.serverResetQuery(),
        g.serverResetQueryAlways(),
        g.serverFastClose(),
        g.queryWaitTimeout(),
        g.queryWaitNotify(),
        g.serverConnectTimeout(),
        g.serverLoginRetry(),
        g.serverIdleTimeout(),
        p.serverLifetime(),
        p.queryTimeout(),
        p.idleTransactionTimeout(),
        p.transactionTimeout(),
        p.clientIdleTimeout(),
        g.serverCheckQuery(),
        g.serverCheckDelay(),
        db.connectQuery(),
        g.sessionPinning(),
        startup,
        db.loadBalanceHosts() != dev.breakwater.server.config.LoadBalanceHosts.DISABLE);
  }

  /** The same pool settings, logging in to servers as {@code user} (auth_user). */
  public PoolSettings withServerUser(String user, String password) {
    return new PoolSettings(
        database, serverHost, serverPort, serverDatabase, user, password, true, mode, poolSize,
        minPoolSize, reservePoolSize, reservePoolTimeout, maxDbConnections, maxUserConnections,
        resetQuery, resetQueryAlways, serverFastClose, queryWaitTimeout, queryWaitNotify, serverConnectTimeout, serverLoginRetry,
        serverIdleTimeout, serverLifetime, queryTimeout, idleTransactionTimeout, transactionTimeout,
        clientIdleTimeout, serverCheckQuery, serverCheckDelay, null, sessionPinning, serverStartupParameters,
        rotateHosts);
  }

  private static void putIfSet(Map<String, String> m, String key, String value) {
    if (value != null) {
      m.put(key, value);
    }
  }
}
