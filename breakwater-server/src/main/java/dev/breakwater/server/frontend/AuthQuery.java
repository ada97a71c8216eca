package dev.breakwater.server.frontend;

import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.backend.InternalQuery;
import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import dev.breakwater.server.pool.PoolSettings;
import dev.breakwater.server.pool.Pools;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * auth_query: a user's secret looked up in PostgreSQL by auth_user, for users the auth file does
 * not list. The query runs on a server borrowed from the (auth database, auth_user) pool, never
 * blocking an event loop; answers, including "no such user", are kept for auth_cache_ttl so a
 * burst of logins costs one query per user.
 */
public final class AuthQuery {

  private static final Logger LOGIN_LOG = LoggerFactory.getLogger(ClientLogin.class);

  /** The query and who runs it are part of the key: a reload that changes them starts afresh. */
  private record Key(String database, String authUser, String sql, String user) {}

  /**
   * auth_dbname, auth_user or auth_query do not allow the lookup: the client is told "bouncer
   * config error" (PgBouncer's words), the log says why.
   */
  public static final class ConfigError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConfigError(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * What the query found for a user: a row, with its secret, or null when the row's password was
   * NULL (a role with no password, or one past its rolvaliduntil): such a user exists, but no
   * password logs it in.
   */
  public record Found(Secret secret) {}

  /** {@code found} is null when the query returned no row. */
  private record Answer(Found found, long expiresNanos) {}

  /** Most answers kept; past it, expired ones go, then "no such user" ones, then none is added. */
  static final int MAX_ANSWERS = 10_000;

  private final Pools pools;
  private final ConcurrentHashMap<Key, Answer> cache = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Key, CompletableFuture<Found>> running = new ConcurrentHashMap<>();

  public AuthQuery(Pools pools) {
    this.pools = pools;
  }

  /**
   * Whether logins to this database ({@code db}, or the admin console's when null) may look users
   * up: an auth_user is set for it or globally.
   */
  public static boolean configured(Settings settings, DatabaseEntry db) {
    return authUser(settings.general(), db) != null;
  }

  private static String authUser(General g, DatabaseEntry db) {
    return db != null && db.authUser() != null ? db.authUser() : g.authUser();
  }

  /**
   * The database whose connection runs the query: the database's auth_dbname, else the global
   * one, else the database itself ({@code pgbouncer} for the admin console, which cannot run it).
   */
  public static String authDatabase(Settings settings, DatabaseEntry db) {
    General g = settings.general();
    if (db != null && db.authDbname() != null) {
      return db.authDbname();
    }
    if (g.authDbname() != null) {
      return g.authDbname();
    }
    return db != null ? db.name() : Settings.ADMIN_DATABASE;
  }

  /** Removes the answers past auth_cache_ttl (they are never used again; the map would only grow). */
  public void evictExpired(long now) {
    cache.values().removeIf(a -> a.expiresNanos() - now <= 0);
  }

  /** How many answers are kept (tests). */
  public int cachedAnswers() {
    return cache.size();
  }

  /**
   * The lookup for {@code client}'s login failed with {@code error}: the client is told and
   * closed. Logged under ClientLogin's logger, where the login's other lines are.
   */
  static void failed(ClientConnection client, Throwable error) {
    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
    LOGIN_LOG.warn("{}: auth_query failed: {}", client, cause.getMessage());
    if (cause instanceof ConfigError
        || (cause instanceof InternalQuery.QueryFailed q && !q.error().isFatal())) {
      // auth_dbname, auth_user or auth_query is wrong (the query itself failed):
      // PgBouncer's words, and the reason only in the log.
      client.fatal(
          "F0000", // config_file_error
          "bouncer config error",
          "the authentication query could not run; the pooler's log says why",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    client.fatal(
        SqlState.CONNECTION_FAILURE,
        "authentication query failed: " + cause.getMessage(),
        CloseReason.CLIENT_LOGIN_FAILED);
  }

  /**
   * What the query says of {@code user}: null when it returns no row (no such role), else the row
   * found, whose secret is null when the password column was NULL (no password, or expired by
   * rolvaliduntil with PgBouncer's default query).
   */
  public CompletableFuture<Found> lookup(Settings settings, DatabaseEntry db, String user, EventLoop loop) {
    General g = settings.general();
    String authDb = authDatabase(settings, db);
    String authUser = authUser(g, db);
    String sql = db != null && db.authQuery() != null ? db.authQuery() : g.authQuery();
    if (Settings.ADMIN_DATABASE.equals(authDb)) {
      return CompletableFuture.failedFuture(
          new ConfigError("cannot use the reserved \"pgbouncer\" database as an auth_dbname"));
    }
    Key key = new Key(authDb, authUser, sql, user);
    long now = System.nanoTime();
    Answer cached = cache.get(key);
    if (cached != null && cached.expiresNanos() - now > 0) {
      return CompletableFuture.completedFuture(cached.found());
    }
    CompletableFuture<Found> mine = new CompletableFuture<>();
    CompletableFuture<Found> other = running.putIfAbsent(key, mine);
    if (other != null) {
      return other;
    }
    try {
      Optional<DatabaseEntry> authEntry = settings.database(authDb);
      if (authEntry.isEmpty()) {
        throw new ConfigError("authentication database \"" + authDb + "\" is not configured");
      }
      PoolSettings cfg =
          PoolSettings.resolve(settings, authEntry.get(), authUser)
              .withServerUser(authUser, authEntry.get().forcesUser() ? null : authEntry.get().password());
      // Without auth_dbname the query runs in the database the client asked for: when that is a
      // database of the * entry, any name a client tries, it gets no pool of its own before a
      // client has logged in to it; one made for the lookup is removed once it is done
      // (Pools.removeUnused).
      boolean clientsName = db != null && db.authDbname() == null && g.authDbname() == null;
      PoolKey poolKey = new PoolKey(authDb, authUser);
      Pool pool =
          clientsName && !settings.databases().containsKey(authDb)
              ? pools.holdForLookup(poolKey, () -> cfg)
              : pools.hold(poolKey, () -> cfg);
      InternalQuery q = new InternalQuery(sql, List.of(user), loop);
      try {
        pool.acquire(q);
      } finally {
        pool.unhold();
      }
      long ttl = g.authCacheTtl().toNanos();
      q.result()
          .whenComplete(
              (rows, error) -> {
                running.remove(key, mine);
                if (error != null) {
                  mine.completeExceptionally(error);
                  return;
                }
                Found found = null;
                if (!rows.isEmpty() && rows.get(0).size() >= 2) {
                  String raw = rows.get(0).get(1);
                  found = new Found(raw == null ? null : Secret.parse(raw));
                }
                if (ttl > 0) {
                  long at = System.nanoTime();
                  if (cache.size() >= MAX_ANSWERS) {
                    evictExpired(at);
                  }
                  if (cache.size() >= MAX_ANSWERS) {
                    // Most likely made by clients trying names that do not exist: those go first.
                    cache.values().removeIf(a -> a.found() == null);
                  }
                  if (cache.size() < MAX_ANSWERS) {
                    cache.put(key, new Answer(found, at + ttl));
                  }
                }
                mine.complete(found);
              });
    } catch (RuntimeException e) {
      running.remove(key, mine);
      mine.completeExceptionally(e);
    }
    return mine;
  }
}
