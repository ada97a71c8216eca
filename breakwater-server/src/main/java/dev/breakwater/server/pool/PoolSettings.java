package dev.breakwater.server.pool;

import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.PoolMode;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.config.UserEntry;
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
    Duration queryWaitTimeout,
    Duration serverConnectTimeout,
    Duration serverLoginRetry,
    Duration serverIdleTimeout,
    Duration serverLifetime,
    String connectQuery,
    Map<String, String> serverStartupParameters) {

  public PoolSettings {
    serverStartupParameters =
        Collections.unmodifiableMap(new LinkedHashMap<>(serverStartupParameters));
  }

  /**
   * @param clientUser the user the client logged in as; the entry's {@code user=} replaces it on
   *     the server side when set
   */
  public static PoolSettings resolve(Settings settings, DatabaseEntry db, String clientUser) {
    General g = settings.general();
    boolean forced = db.user() != null && !db.user().isEmpty();
    String serverUser = forced ? db.user() : clientUser;
    UserEntry user = settings.users().get(clientUser);

    PoolMode mode = g.poolMode();
    if (db.poolMode() != null) {
      mode = db.poolMode();
    }
    if (user != null && user.poolMode() != null) {
      mode = user.poolMode();
    }
    int size = g.defaultPoolSize();
    if (db.poolSize() != null) {
      size = db.poolSize();
    }
    if (user != null && user.poolSize() != null) {
      size = user.poolSize();
    }
    int reserve = g.reservePoolSize();
    if (db.reservePoolSize() != null) {
      reserve = db.reservePoolSize();
    }
    if (user != null && user.reservePoolSize() != null) {
      reserve = user.reservePoolSize();
    }
    int minSize = db.minPoolSize() != null ? db.minPoolSize() : g.minPoolSize();
    int maxDb = db.maxDbConnections() != null ? db.maxDbConnections() : g.maxDbConnections();
    int maxUser =
        user != null && user.maxUserConnections() != null
            ? user.maxUserConnections()
            : g.maxUserConnections();

    Map<String, String> startup = new LinkedHashMap<>();
    if (db.clientEncoding() != null) {
      startup.put("client_encoding", db.clientEncoding());
    }
    if (db.datestyle() != null) {
      startup.put("DateStyle", db.datestyle());
    }
    if (db.timezone() != null) {
      startup.put("TimeZone", db.timezone());
    }
    if (db.applicationName() != null) {
      startup.put("application_name", db.applicationName());
    }
    String host = db.host() == null || db.host().isEmpty() ? "127.0.0.1" : db.host();
    String dbname = db.dbname() == null || db.dbname().isEmpty() ? db.name() : db.dbname();
    return new PoolSettings(
        db.name(),
        host,
        db.port(),
        dbname,
        serverUser,
        db.password(),
        forced,
        mode,
        size,
        minSize,
        reserve,
        g.reservePoolTimeout(),
        maxDb,
        maxUser,
        g.serverResetQuery(),
        g.serverResetQueryAlways(),
        g.queryWaitTimeout(),
        g.serverConnectTimeout(),
        g.serverLoginRetry(),
        g.serverIdleTimeout(),
        g.serverLifetime(),
        db.connectQuery(),
        startup);
  }
}
