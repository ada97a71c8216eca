package dev.breakwater.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One immutable snapshot of the configuration: what {@link ConfigLoader#load} read. A reload builds
 * a new snapshot and swaps it in; nothing here changes after construction.
 *
 * @param databases the {@code [databases]} entries by name, in file order, without the {@code *}
 *     entry
 * @param fallbackDatabase the {@code *} entry, or null
 * @param users the {@code [users]} entries by name, in file order
 * @param warnings what the loader found worth telling the operator; the loader logs nothing
 * @param file the main config file, or null for {@link #defaults()}
 * @param peers the {@code [peers]} entries by peer id, in file order
 */
public record Settings(
    General general,
    Map<String, DatabaseEntry> databases,
    DatabaseEntry fallbackDatabase,
    Map<String, UserEntry> users,
    List<ConfigWarning> warnings,
    Path file,
    Map<Integer, PeerEntry> peers) {

  /** The database name reserved for the admin console. */
  public static final String ADMIN_DATABASE = "pgbouncer";

  public Settings {
    databases = ordered(databases);
    users = ordered(users);
    warnings = List.copyOf(warnings);
    peers = ordered(peers);
  }

  /** Without peers. */
  public Settings(
      General general,
      Map<String, DatabaseEntry> databases,
      DatabaseEntry fallbackDatabase,
      Map<String, UserEntry> users,
      List<ConfigWarning> warnings,
      Path file) {
    this(general, databases, fallbackDatabase, users, warnings, file, Map.of());
  }

  /** All settings at their defaults, no databases, no users, no file. */
  public static Settings defaults() {
    return new Settings(General.defaults(), Map.of(), null, Map.of(), List.of(), null, Map.of());
  }

  /**
   * The entry for the database a client asked for: its own entry if there is one; else the {@code
   * *} entry renamed to {@code name} (so its {@code dbname}, when the {@code *} line gives none, is
   * the requested name, as in PgBouncer); else empty. The admin database {@value #ADMIN_DATABASE}
   * is never resolved here.
   */
  public Optional<DatabaseEntry> database(String name) {
    DatabaseEntry exact = databases.get(name);
    if (exact != null) {
      return Optional.of(exact);
    }
    if (fallbackDatabase == null || ADMIN_DATABASE.equals(name)) {
      return Optional.empty();
    }
    return Optional.of(fallbackDatabase.withName(name));
  }

  /** The {@code [users]} entry for a user, if any. */
  public Optional<UserEntry> user(String name) {
    return Optional.ofNullable(users.get(name));
  }

  /**
   * Resolves the settings of the pool for {@code database} and a client logged in as {@code
   * clientUser}: the {@code [users]} entry wins over the database entry, which wins over {@code
   * [pgbouncer]}, as PgBouncer does. The user entry consulted is that of the database's forced
   * {@code user=} if it has one, else the client's.
   */
  public PoolSettings poolSettings(DatabaseEntry database, String clientUser) {
    General g = general;
    String poolUser = database.user() != null ? database.user() : clientUser;
    UserEntry u = users.getOrDefault(poolUser, UserEntry.named(poolUser));
    return new PoolSettings(
        database,
        poolUser,
        first(u.poolMode(), database.poolMode(), g.poolMode()),
        first(u.poolSize(), database.poolSize(), g.defaultPoolSize()),
        first(database.minPoolSize(), g.minPoolSize()),
        first(u.reservePoolSize(), database.reservePoolSize(), g.reservePoolSize()),
        positiveOr(database.maxDbConnections(), g.maxDbConnections()),
        positiveOr(u.maxUserConnections(), g.maxUserConnections()),
        positiveOr(database.maxDbClientConnections(), g.maxDbClientConnections()),
        positiveOr(u.maxUserClientConnections(), g.maxUserClientConnections()),
        nonZeroOr(database.serverLifetime(), g.serverLifetime()),
        nonZeroOr(u.queryTimeout(), g.queryTimeout()),
        nonZeroOr(u.idleTransactionTimeout(), g.idleTransactionTimeout()),
        nonZeroOr(u.transactionTimeout(), g.transactionTimeout()),
        nonZeroOr(u.clientIdleTimeout(), g.clientIdleTimeout()));
  }

  @SafeVarargs
  private static <T> T first(T... candidates) {
    for (T candidate : candidates) {
      if (candidate != null) {
        return candidate;
      }
    }
    throw new IllegalStateException("no value");
  }

  private static int positiveOr(Integer override, int global) {
    return override != null && override > 0 ? override : global;
  }

  private static Duration nonZeroOr(Duration override, Duration global) {
    return override != null && !override.isZero() ? override : global;
  }

  private static <K, V> Map<K, V> ordered(Map<K, V> map) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(map));
  }
}
