package dev.breakwater.server.pool;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Every pool, found or made by (database, user), and the limits that span pools:
 * max_db_connections per database and max_user_connections per user.
 */
public final class Pools {

  private final ConcurrentHashMap<PoolKey, Pool> pools = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> perDatabase = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, AtomicInteger> perUser = new ConcurrentHashMap<>();
  private final ServerLauncher launcher;
  /** Databases paused as a whole (PAUSE, KILL): pools made later start paused. */
  private final java.util.Set<String> pausedDatabases = ConcurrentHashMap.newKeySet();
  private volatile boolean allPaused;

  public Pools(ServerLauncher launcher) {
    this.launcher = launcher;
  }

  /** The pool for this key, made with the given settings if it does not exist yet. */
  public Pool get(PoolKey key, Supplier<PoolSettings> settings) {
    Pool p = pools.get(key);
    if (p != null) {
      return p;
    }
    return pools.computeIfAbsent(
        key,
        k -> {
          Pool made = new Pool(k, settings.get(), this, launcher);
          if (isPaused(k.database())) {
            made.pause();
          }
          return made;
        });
  }

  /**
   * The pool for this key, made if need be, and held against removal until the caller has used
   * it (added its client, asked for a server) and called {@link Pool#unhold}.
   */
  public Pool hold(PoolKey key, Supplier<PoolSettings> settings) {
    while (true) {
      Pool p = get(key, settings);
      if (p.hold()) {
        return p;
      }
      Thread.onSpinWait();
    }
  }

  /**
   * As {@link #hold}, for an auth_query lookup: a pool made by it is removed as soon as the lookup
   * is done, unless a client logged in to it meanwhile (see {@link #removeUnused}).
   */
  public Pool holdForLookup(PoolKey key, Supplier<PoolSettings> settings) {
    while (true) {
      Pool p = pools.get(key);
      if (p == null) {
        Pool made = new Pool(key, settings.get(), this, launcher);
        made.lookupOnly(true);
        if (isPaused(key.database())) {
          made.pause();
        }
        p = pools.putIfAbsent(key, made);
        if (p == null) {
          p = made;
        }
      }
      if (p.hold()) {
        return p;
      }
      Thread.onSpinWait();
    }
  }

  /**
   * Removes, and returns, the pools {@code removable} picks that have had no client, server or
   * waiter for {@code idleNanos} (never when it is 0 or less), and pools made only for an
   * auth_query lookup as soon as it is done: their idle servers are closed first. Called
   * periodically from one thread.
   */
  public List<Pool> removeUnused(java.util.function.Predicate<Pool> removable, long idleNanos, long now) {
    List<Pool> removed = new ArrayList<>();
    for (Pool p : pools.values()) {
      boolean lookupOnly = p.lookupOnly();
      if (!lookupOnly && (idleNanos <= 0 || !removable.test(p))) {
        continue;
      }
      if (lookupOnly && p.clients().isEmpty() && !p.hasWaiters()) {
        p.closeIdle(dev.breakwater.server.CloseReason.AUTH_LOOKUP_DONE);
      }
      long unusedFor = p.unusedFor(now);
      boolean due = lookupOnly ? p.unused() : unusedFor >= idleNanos && unusedFor > 0;
      if (due && pools.computeIfPresent(p.key(), (k, cur) -> cur == p && p.retireIfUnused() ? null : cur) == null) {
        removed.add(p);
        removals.incrementAndGet();
      }
    }
    return removed;
  }

  private final java.util.concurrent.atomic.AtomicLong removals = new java.util.concurrent.atomic.AtomicLong();

  /** How many pools {@link #removeUnused} removed so far: the observer then drops their meters. */
  public long removals() {
    return removals.get();
  }

  /** PAUSE or KILL of a database (null: all): its pools, and those made later, lend no server. */
  public void markPaused(String database, boolean paused) {
    if (database == null) {
      allPaused = paused;
      if (!paused) {
        pausedDatabases.clear();
      }
    } else if (paused) {
      pausedDatabases.add(database);
    } else {
      pausedDatabases.remove(database);
    }
  }

  /** Whether new clients of this database wait (PAUSE or KILL without RESUME); null: all. */
  public boolean isPaused(String database) {
    return allPaused || (database != null && pausedDatabases.contains(database));
  }

  public Pool find(PoolKey key) {
    return pools.get(key);
  }

  public Collection<Pool> all() {
    return pools.values();
  }

  /**
   * Counts a new server against the database and user limits; false when either is reached. A
   * name's count goes when it drops to 0, so names of databases made and freed leave nothing.
   */
  boolean tryTakeServerSlot(Pool pool) {
    PoolSettings cfg = pool.settings();
    if (!take(perDatabase, pool.key().database(), cfg.maxDbConnections())) {
      return false;
    }
    if (!take(perUser, pool.key().user(), cfg.maxUserConnections())) {
      give(perDatabase, pool.key().database());
      return false;
    }
    return true;
  }

  void releaseServerSlot(Pool pool) {
    give(perDatabase, pool.key().database());
    give(perUser, pool.key().user());
  }

  /** Names with a server count (tests). */
  public java.util.Set<String> countedNames() {
    java.util.Set<String> all = new java.util.HashSet<>(perDatabase.keySet());
    all.addAll(perUser.keySet());
    return all;
  }

  private static boolean take(ConcurrentHashMap<String, AtomicInteger> counts, String name, int limit) {
    boolean[] taken = new boolean[1];
    counts.compute(
        name,
        (k, n) -> {
          int v = n == null ? 0 : n.get();
          if (limit > 0 && v >= limit) {
            return n;
          }
          taken[0] = true;
          AtomicInteger c = n == null ? new AtomicInteger() : n;
          c.incrementAndGet();
          return c;
        });
    return taken[0];
  }

  private static void give(ConcurrentHashMap<String, AtomicInteger> counts, String name) {
    counts.computeIfPresent(name, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  public int serversOfDatabase(String database) {
    AtomicInteger n = perDatabase.get(database);
    return n == null ? 0 : n.get();
  }

  public int serversOfUser(String user) {
    AtomicInteger n = perUser.get(user);
    return n == null ? 0 : n.get();
  }

  /**
   * Periodic work: each pool's own, then, for pools whose clients wait because a database or user
   * limit is reached, closes an idle server of another pool sharing that limit.
   */
  public void maintain(long now) {
    List<Pool> blocked = null;
    for (Pool p : pools.values()) {
      p.maintain(now);
      if (p.hasWaiters() && limitReached(p)) {
        if (blocked == null) {
          blocked = new ArrayList<>();
        }
        blocked.add(p);
      }
    }
    if (blocked == null) {
      return;
    }
    for (Pool p : blocked) {
      PoolSettings cfg = p.settings();
      // Only a pool that shares the limit that is reached can make room: another pool of the same
      // user does not, when the database's limit holds the client back (it would be refilled by
      // its min_pool_size at once, and the client would still wait).
      boolean dbFull = cfg.maxDbConnections() > 0 && serversOfDatabase(cfg.database()) >= cfg.maxDbConnections();
      boolean userFull =
          cfg.maxUserConnections() > 0 && serversOfUser(cfg.serverUser()) >= cfg.maxUserConnections();
      for (Pool other : pools.values()) {
        if (other == p) {
          continue;
        }
        PoolSettings o = other.settings();
        boolean sharesLimit =
            (dbFull && o.database().equals(cfg.database())) || (userFull && o.serverUser().equals(cfg.serverUser()));
        if (sharesLimit && other.evictIdle()) {
          break;
        }
      }
    }
  }

  /**
   * Whether another pool that shares a database or user limit with {@code pool} has clients
   * waiting: then {@code pool} does not fill up to its min_pool_size, which would take the room
   * an eviction just made for them (and be evicted again, round after round).
   */
  boolean othersWaitFor(Pool pool) {
    PoolSettings cfg = pool.settings();
    if (cfg.maxDbConnections() <= 0 && cfg.maxUserConnections() <= 0) {
      return false;
    }
    for (Pool other : pools.values()) {
      if (other != pool && other.hasWaiters()) {
        PoolSettings o = other.settings();
        if ((cfg.maxDbConnections() > 0 && o.database().equals(cfg.database()))
            || (cfg.maxUserConnections() > 0 && o.serverUser().equals(cfg.serverUser()))) {
          return true;
        }
      }
    }
    return false;
  }

  private boolean limitReached(Pool p) {
    PoolSettings cfg = p.settings();
    return (cfg.maxDbConnections() > 0 && serversOfDatabase(cfg.database()) >= cfg.maxDbConnections())
        || (cfg.maxUserConnections() > 0
            && serversOfUser(cfg.serverUser()) >= cfg.maxUserConnections());
  }
}
