package dev.breakwater.server.frontend;

import dev.breakwater.protocol.auth.Secret;
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
import java.util.concurrent.ConcurrentHashMap;

/**
 * auth_query: a user's secret looked up in PostgreSQL by auth_user, for users the auth file does
 * not list. The query runs on a server borrowed from the (auth database, auth_user) pool, never
 * blocking an event loop; answers, including "no such user", are kept for auth_cache_ttl so a
 * burst of logins costs one query per user.
 */
public final class AuthQuery {

  private record Key(String database, String user) {}

  /**
   * What the query found for a user: a row, with its secret, or null when the row's password was
   * NULL (a role with no password, or one past its rolvaliduntil): such a user exists, but no
   * password logs it in.
   */
  public record Found(Secret secret) {}

  /** {@code found} is null when the query returned no row. */
  private record Answer(Found found, long expiresNanos) {}

  private final Pools pools;
  private final ConcurrentHashMap<Key, Answer> cache = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Key, CompletableFuture<Found>> running = new ConcurrentHashMap<>();

  public AuthQuery(Pools pools) {
    this.pools = pools;
  }

  /** Whether logins to this database may look users up. */
  public static boolean configured(Settings settings, DatabaseEntry db) {
    return authUser(settings.general(), db) != null;
  }

  private static String authUser(General g, DatabaseEntry db) {
    return db.authUser() != null ? db.authUser() : g.authUser();
  }

  /**
   * What the query says of {@code user}: null when it returns no row (no such role), else the row
   * found, whose secret is null when the password column was NULL (no password, or expired by
   * rolvaliduntil with PgBouncer's default query).
   */
  public CompletableFuture<Found> lookup(Settings settings, DatabaseEntry db, String user, EventLoop loop) {
    General g = settings.general();
    String authDb = db.authDbname() != null ? db.authDbname() : g.authDbname() != null ? g.authDbname() : db.name();
    Key key = new Key(authDb, user);
    long now = System.nanoTime();
    Answer cached = cache.get(key);
    if (cached != null && cached.expiresNanos() > now) {
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
        throw new IllegalStateException("auth_dbname \"" + authDb + "\" is not a configured database");
      }
      String authUser = authUser(g, db);
      String sql = db.authQuery() != null ? db.authQuery() : g.authQuery();
      PoolSettings cfg =
          PoolSettings.resolve(settings, authEntry.get(), authUser)
              .withServerUser(authUser, authEntry.get().forcesUser() ? null : authEntry.get().password());
      Pool pool = pools.get(new PoolKey(authDb, authUser), () -> cfg);
      InternalQuery q = new InternalQuery(sql, List.of(user), loop);
      pool.acquire(q);
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
                  cache.put(key, new Answer(found, System.nanoTime() + ttl));
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
