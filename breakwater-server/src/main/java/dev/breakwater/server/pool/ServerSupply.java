package dev.breakwater.server.pool;

import dev.breakwater.server.CloseReason;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many servers a pool opens, and for whom: for the clients in line, within pool_size (and
 * reserve_pool_size once a client has waited reserve_pool_timeout) and the database and user
 * limits; up to min_pool_size; for each replication client, closing an idle server to make room.
 * A new server is made, listed and counted under the pool's lock, so that concurrent decisions see
 * it; the pool connects it after letting go of the lock. Guarded by the pool's lock.
 */
final class ServerSupply {

  // Pool's logger, as before the split: operators' log settings name it.
  private static final Logger log = LoggerFactory.getLogger(Pool.class);

  private final Pool pool;
  private final ServerLists lists;
  private final WaitingLine line;
  private final Pools pools;
  private final ServerLauncher launcher;
  /** When the reserve pool was last opened up for a client that waited too long. */
  private long reserveActiveUntilNanos;

  ServerSupply(
      Pool pool, ServerLists lists, WaitingLine line, Pools pools, ServerLauncher launcher) {
    this.pool = pool;
    this.lists = lists;
    this.line = line;
    this.pools = pools;
    this.launcher = launcher;
  }

  /** Makes one server on {@code loop} (any loop when null), listed; its slot is taken already. */
  PooledServer open(EventLoop loop) {
    PooledServer s = launcher.create(pool, loop);
    lists.add(s);
    return s;
  }

  /**
   * The servers to open now for the clients in line, and up to min_pool_size unless {@code
   * lookupOnly}: null when none.
   */
  List<PooledServer> forWaiters(long now, PoolSettings cfg, boolean lookupOnly) {
    int limit = cfg.poolSize() + reserveAllowance(now, cfg);
    if (lists.size() >= limit) {
      // A full pool, the usual case while clients wait: no need to count the servers logging in.
      return null;
    }
    // Servers on their way cover a waiter each: no new server is opened for it.
    int coming = line.isEmpty() ? 0 : lists.coming(now);
    int forMinimum = (lookupOnly ? 0 : cfg.minPoolSize()) - lists.size();
    int wanted = Math.max(line.size() - coming, forMinimum);
    List<PooledServer> plan = null;
    Iterator<Borrower> waiters = line.uncovered(coming);
    for (int i = 0; i < wanted; i++) {
      if (lists.size() >= limit) {
        break;
      }
      if (!pools.tryTakeServerSlot(pool)) {
        break;
      }
      Borrower w = waiters.hasNext() ? waiters.next() : null;
      if (plan == null) {
        plan = new ArrayList<>();
      }
      plan.add(open(w != null ? w.eventLoop() : null));
    }
    return plan;
  }

  /**
   * Opens servers for the replication clients that wait, as far as the pool's size and the
   * database and user limits allow; in a full pool, marks idle servers to close to make room for
   * those still waiting (into {@code toEvict}, closed by the caller after letting go of the lock),
   * one for each such client beyond the servers already closing. Null when none is opened.
   */
  List<PooledServer> forReplication(long now, PoolSettings cfg, List<PooledServer> toEvict) {
    if (!line.hasReplication()) {
      return null;
    }
    int limit = cfg.poolSize() + reserveAllowance(now, cfg);
    int closing = lists.closing();
    List<PooledServer> plan = null;
    for (Iterator<PoolClient> it = line.replicationClients(); it.hasNext(); ) {
      PoolClient c = it.next();
      if (c.isClosed()) {
        it.remove();
        continue;
      }
      if (lists.size() < limit) {
        if (!pools.tryTakeServerSlot(pool)) {
          break;
        }
        it.remove();
        PooledServer s = launcher.createReplication(pool, c);
        lists.add(s);
        if (plan == null) {
          plan = new ArrayList<>();
        }
        plan.add(s);
      } else if (closing > 0) {
        closing--; // one already on its way out makes room for this client
      } else {
        PooledServer victim = lists.takeOldestIdle(CloseReason.EVICTED);
        if (victim == null) {
          break; // every server is in use: wait for one to close
        }
        log.info("pool {}: closing an idle server to make room for replication client {}",
            pool.key(), c);
        toEvict.add(victim);
      }
    }
    return plan;
  }

  /**
   * Opens the reserve pool (reserve_pool_size more servers, for reserve_pool_timeout and at least a
   * second) when the first client in line has waited longer than reserve_pool_timeout.
   */
  void openReserveIfDue(long now, PoolSettings cfg) {
    Borrower oldest = line.first();
    long reserveTimeout = cfg.reservePoolTimeout().toNanos();
    if (oldest != null
        && cfg.reservePoolSize() > 0
        && now - oldest.waitStartedNanos() > reserveTimeout) {
      if (reserveActiveUntilNanos < now) {
        log.info("pool {}: opening the reserve pool ({} more servers): a client waited {} ms",
            pool.key(), cfg.reservePoolSize(), (now - oldest.waitStartedNanos()) / 1_000_000);
      }
      reserveActiveUntilNanos = now + Math.max(reserveTimeout, 1_000_000_000L);
    }
  }

  private int reserveAllowance(long now, PoolSettings cfg) {
    return reserveActiveUntilNanos > now ? cfg.reservePoolSize() : 0;
  }

  /** Both lists, either of which may be null. */
  static List<PooledServer> concat(List<PooledServer> a, List<PooledServer> b) {
    if (a == null || b == null) {
      return a == null ? b : a;
    }
    List<PooledServer> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** Closes the idle servers a plan marked to make room, after letting go of the lock. */
  static void evict(List<PooledServer> victims) {
    for (PooledServer s : victims) {
      s.close(CloseReason.EVICTED);
    }
  }

  /** Connects the servers a plan made, after letting go of the lock. */
  static void launch(List<PooledServer> plan) {
    if (plan != null) {
      for (PooledServer s : plan) {
        s.connect();
      }
    }
  }
}
