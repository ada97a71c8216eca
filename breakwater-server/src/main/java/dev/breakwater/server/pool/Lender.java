package dev.breakwater.server.pool;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.config.PoolMode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lending of a pool's servers, behind {@link Pool} (which documents each method of the same
 * name here): its servers on their lists ({@link
 * ServerLists}), the clients waiting for one ({@link WaitingLine}), the servers it opens ({@link
 * ServerSupply}) and their errors ({@link ServerErrors}), all guarded by one lock, and the operator
 * verbs and the time-driven work that change them.
 *
 * <p>The lock is held only for a state change: no I/O under it, and it never nests with a
 * client's monitor in either order (what must happen to a client or a server afterwards is done
 * after letting go of it, or queued as a task on its event loop).
 */
final class Lender {

  // Pool's logger, as before the split: operators' log settings name it.
  private static final Logger log = LoggerFactory.getLogger(Pool.class);

  private final Pool pool;
  private final Pools pools;
  private final ReentrantLock lock = new ReentrantLock();
  private final ServerLists lists = new ServerLists();
  private final WaitingLine line = new WaitingLine();
  private final ServerErrors errors = new ServerErrors();
  private final ServerSupply supply;

  private volatile int generation;
  private volatile boolean paused;
  /** Set by {@link #shutDown}: why a client that needs a server is closed instead of waiting. */
  private volatile ErrorFields shutdownError;

  Lender(Pool pool, Pools pools, ServerLauncher launcher) {
    this.pool = pool;
    this.pools = pools;
    this.supply = new ServerSupply(pool, lists, line, pools, launcher);
  }

  ErrorFields lastServerError() {
    return errors.last();
  }

  long lastServerErrorNanos() {
    return errors.lastNanos();
  }

  /** Lends an idle server, or puts the borrower in line (opening servers), or fails it fast. */
  void acquire(Borrower c) {
    PooledServer idleServer;
    List<PooledServer> toLaunch = null;
    ErrorFields failFast = null;
    lock.lock();
    try {
      idleServer = paused ? null : lists.pickIdle(c.eventLoop());
      if (idleServer != null) {
        lists.move(idleServer, ServerState.ACTIVE);
      } else if (shutdownError != null) {
        failFast = shutdownError;
      } else {
        long now = System.nanoTime();
        ErrorFields recent = recentServerError(now);
        if (recent != null && lists.isEmpty() && errors.lastWasConnect() && !paused
            && pools.tryTakeServerSlot(pool)) {
          // The server could not be reached, and no attempt is under way: this client waits for
          // one, rather than failing with an error that may be older than a restart that ended.
          errors.probed(now);
          c.waitStartedNanos(now);
          line.add(c);
          toLaunch = List.of(supply.open(c.eventLoop()));
        } else if (recent != null && lists.isEmpty()) {
          failFast = recent;
        } else {
          c.waitStartedNanos(now);
          line.add(c);
          toLaunch = launchPlan(now);
        }
      }
    } finally {
      lock.unlock();
    }
    if (idleServer != null) {
      // Outside the lock: on the server's own loop the link is made at once.
      idleServer.dispatch(c);
    } else if (failFast != null) {
      c.failWaiting(failFast, failFast == shutdownError ? CloseReason.SHUTDOWN : CloseReason.SERVER_UNAVAILABLE);
    } else {
      ServerSupply.launch(toLaunch);
    }
  }

  /** Puts a replication client in its line and opens its server if there is room. */
  void acquireReplication(PoolClient c) {
    List<PooledServer> toLaunch;
    List<PooledServer> toEvict = new ArrayList<>();
    lock.lock();
    try {
      c.waitStartedNanos(System.nanoTime());
      line.addReplication(c);
      toLaunch = replicationPlan(System.nanoTime(), toEvict);
    } finally {
      lock.unlock();
    }
    ServerSupply.evict(toEvict);
    ServerSupply.launch(toLaunch);
  }

  /** Moves a replication server that logged in to the active list, unless it is closing. */
  boolean replicationLinked(PooledServer s) {
    lock.lock();
    try {
      if (!lists.contains(s) || s.closingReason() != null || s.state() == ServerState.CLOSED) {
        return false;
      }
      lists.move(s, ServerState.ACTIVE);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** An idle server at once, else the front of the line. */
  void requeue(Borrower c) {
    if (c.isClosed()) {
      return;
    }
    ErrorFields stop = shutdownError;
    if (stop != null) {
      c.failWaiting(stop, CloseReason.SHUTDOWN);
      return;
    }
    List<PooledServer> toLaunch;
    lock.lock();
    try {
      PooledServer s = paused ? null : lists.pickIdle(c.eventLoop());
      if (s != null) {
        lists.move(s, ServerState.ACTIVE);
        s.assign(c);
        return;
      }
      long now = System.nanoTime();
      if (c.waitStartedNanos() == 0) {
        // The wait starts again: query_wait_timeout counts from now, not from time zero.
        c.waitStartedNanos(now);
      }
      line.addFirst(c);
      toLaunch = launchPlan(now);
    } finally {
      lock.unlock();
    }
    ServerSupply.launch(toLaunch);
  }

  void release(PooledServer s) {
    release(s, false);
  }

  void releaseAfterRead(PooledServer s) {
    release(s, true);
  }

  private void release(PooledServer s, boolean linkHere) {
    CloseReason retire;
    Borrower next = null;
    lock.lock();
    try {
      if (!lists.contains(s)) {
        return;
      }
      long now = System.nanoTime();
      retire = retireReason(s, now);
      if (retire == null) {
        next = line.next(s.eventLoop());
        if (next == null) {
          s.markIdle();
          lists.move(s, ServerState.IDLE);
          return;
        }
        s.markHandedOn(now);
        lists.move(s, ServerState.ACTIVE);
        if (!linkHere) {
          s.assign(next);
          return;
        }
      } else {
        lists.unlist(s);
        s.markClosing(retire);
      }
    } finally {
      lock.unlock();
    }
    if (next != null) {
      s.dispatch(next);
    } else {
      s.close(retire);
    }
  }

  /** Why a released server must not be used again, or null when it may. */
  private CloseReason retireReason(PooledServer s, long now) {
    if (s.generation() != generation) {
      return CloseReason.RECONNECT;
    }
    if (paused) {
      return CloseReason.PAUSED;
    }
    long lifetime = pool.settings().serverLifetime().toNanos();
    if ((lifetime == 0 && s.wasUsed()) || (lifetime > 0 && now - s.createdNanos() > lifetime)) {
      return CloseReason.SERVER_LIFETIME;
    }
    return null;
  }

  void testing(PooledServer s) {
    lock.lock();
    try {
      if (lists.contains(s)) {
        lists.move(s, ServerState.TESTED);
      }
    } finally {
      lock.unlock();
    }
  }

  // ---- Operator verbs (see dev.breakwater.server.Control) ----

  int generation() {
    return generation;
  }

  void reconnect() {
    lock.lock();
    try {
      generation++;
      errors.clear();
    } finally {
      lock.unlock();
    }
    closeIdle(CloseReason.RECONNECT);
    if (pool.settings().serverFastClose() && pool.settings().mode() == PoolMode.SESSION) {
      // server_fast_close: session clients lose their servers between transactions, not at the
      // end of their sessions.
      for (PooledServer s : servers()) {
        s.fastCloseIfBetweenTransactions();
      }
    }
  }

  void pause() {
    paused = true;
    closeIdle(CloseReason.PAUSED);
  }

  void shutDown(ErrorFields error) {
    List<Borrower> failed;
    lock.lock();
    try {
      shutdownError = error;
      failed = line.takeAll();
    } finally {
      lock.unlock();
    }
    pause();
    for (Borrower b : failed) {
      b.failWaiting(error, CloseReason.SHUTDOWN);
    }
  }

  void resume() {
    List<PooledServer> toLaunch;
    List<PooledServer> toEvict = new ArrayList<>();
    lock.lock();
    try {
      paused = false;
      toLaunch = line.isEmpty() ? null : launchPlan(System.nanoTime());
      toLaunch = ServerSupply.concat(toLaunch, replicationPlan(System.nanoTime(), toEvict));
    } finally {
      lock.unlock();
    }
    ServerSupply.evict(toEvict);
    ServerSupply.launch(toLaunch);
  }

  boolean isPaused() {
    return paused;
  }

  boolean hasNoServers() {
    return locked(lists::isEmpty);
  }

  boolean hasNoOldServers() {
    return locked(() -> lists.allOf(generation));
  }

  boolean evictIdle() {
    PooledServer victim;
    lock.lock();
    try {
      victim = lists.takeOldestIdle(CloseReason.EVICTED);
    } finally {
      lock.unlock();
    }
    if (victim == null) {
      return false;
    }
    victim.close(CloseReason.EVICTED);
    return true;
  }

  void closeIdle(CloseReason reason) {
    List<PooledServer> victims;
    lock.lock();
    try {
      victims = lists.takeAllIdle(reason);
    } finally {
      lock.unlock();
    }
    for (PooledServer s : victims) {
      s.close(reason);
    }
  }

  // ---- Servers logging in and closing ----

  String nextServerHost() {
    PoolSettings cfg = pool.settings();
    List<String> hosts = cfg.serverHosts();
    if (hosts.size() == 1) {
      return hosts.get(0);
    }
    lock.lock();
    try {
      return errors.nextHost(cfg);
    } finally {
      lock.unlock();
    }
  }

  void onServerLoggedIn(PooledServer s) {
    errors.clear();
    lock.lock();
    try {
      errors.loggedIn();
    } finally {
      lock.unlock();
    }
  }

  /** Forgets the server; tries the next host, fails the waiters with its error, or opens another. */
  void onServerClosed(PooledServer s, CloseReason reason, ErrorFields error) {
    boolean connectFailure = ServerErrors.isConnectFailure(reason, error);
    List<Borrower> toFail = null;
    List<PooledServer> toLaunch;
    List<PooledServer> toEvict = new ArrayList<>();
    if (s.isReplication()) {
      // Its login failure is its client's alone (no REPLICATION role, no replication line in
      // pg_hba.conf): other clients of the pool may still log in, as PgBouncer has it.
      error = null;
    }
    lock.lock();
    try {
      if (!lists.remove(s)) {
        return;
      }
      pools.releaseServerSlot(pool);
      long now = System.nanoTime();
      toLaunch = replicationPlan(now, toEvict);
      // Several hosts: the next is tried before the clients are told, until each has failed.
      boolean anotherHost = connectFailure && errors.tryAnotherHost(pool.settings());
      if (anotherHost) {
        log.info("pool {}: could not connect to a server ({}): trying the next host",
            pool.key(), error == null ? reason : error.message());
        if (!line.isEmpty()) {
          toLaunch = ServerSupply.concat(toLaunch, launchPlan(now));
        }
      } else if (error != null) {
        errors.record(error, now, connectFailure);
        if (!line.isEmpty() && (lists.isEmpty() || !connectFailure)) {
          if (connectFailure) {
            // As PgBouncer, the clients waiting when the server could not be reached wait on, and
            // the janitor tries again after server_login_retry (a server starting up is there by
            // then); a client that has waited that long already gets the error.
            toFail = line.takeWaitedFor(now, pool.settings().serverLoginRetry().toNanos());
          } else {
            // A login error that needs a person (a wrong password): every waiting client gets it
            // now, even while other servers are busy, as PgBouncer does (kill_pool_logins); no new
            // server is tried before server_login_retry, so waiting on would only mean a timeout.
            toFail = line.takeAll();
          }
        }
      } else if (!line.isEmpty()) {
        toLaunch = ServerSupply.concat(toLaunch, launchPlan(now));
      }
    } finally {
      lock.unlock();
    }
    ServerSupply.evict(toEvict);
    if (toFail != null) {
      for (Borrower c : toFail) {
        c.failWaiting(error, CloseReason.SERVER_UNAVAILABLE);
      }
    }
    ServerSupply.launch(toLaunch);
  }

  // ---- Time-driven work, called by the janitor ----

  /** One round of the pool's time-driven work (see {@link Pool#maintain}). */
  void maintain(long now) {
    PoolSettings cfg = pool.settings();
    List<Borrower> expired = null;
    List<PooledServer> toClose = null;
    List<PooledServer> toLaunch = null;
    List<PooledServer> toEvict = new ArrayList<>();
    List<PooledServer> forReplication;
    lock.lock();
    try {
      long waitLimit = Timeouts.waitLimit(cfg);
      if (waitLimit > 0) {
        expired = line.expireReplication(now, waitLimit, expired);
      }
      toClose = lists.markOldReplication(generation, toClose);
      forReplication = replicationPlan(now, toEvict);
      if (waitLimit > 0) {
        expired = line.expire(now, waitLimit, expired);
      }
      long notifyAfter = cfg.queryWaitNotify().toNanos();
      if (notifyAfter > 0) {
        line.notifyLong(now, notifyAfter, pool.key().database());
      }
      supply.openReserveIfDue(now, cfg);
      // A pool opened only for an auth_query lookup keeps no min_pool_size: it goes once done.
      if (!line.isEmpty()
          || (lists.size() < cfg.minPoolSize()
              && !pool.lookupOnly()
              && !pools.othersWaitFor(pool))) {
        toLaunch = launchPlan(now);
      }
      if (toLaunch == null
          && !paused
          && lists.isEmpty()
          && errors.lastWasConnect()
          && recentServerError(now) != null
          && !pool.clients().isEmpty()
          && errors.probeDue(now)
          && pools.tryTakeServerSlot(pool)) {
        // The server could not be reached: clients fail fast with the cached error meanwhile,
        // and one connection is tried in the background so service resumes as soon as it can.
        errors.probed(now);
        toLaunch = List.of(supply.open(null));
      }
      toClose = lists.takeStale(now, cfg, toClose);
    } finally {
      lock.unlock();
    }
    ServerSupply.evict(toEvict);
    ServerSupply.launch(forReplication);
    Timeouts.enforce(cfg, now, this, pool.clients());
    if (expired != null) {
      ErrorFields error = Timeouts.waitExpired(cfg, errors.last()); // cleared when a server logs in
      for (Borrower c : expired) {
        c.failWaiting(error, CloseReason.QUERY_WAIT_TIMEOUT);
      }
    }
    if (toClose != null) {
      for (PooledServer s : toClose) {
        s.close(s.closingReason());
      }
    }
    ServerSupply.launch(toLaunch);
  }

  /** Takes a client that has gone out of either line. */
  void remove(Borrower c) {
    lock.lock();
    try {
      line.remove(c);
    } finally {
      lock.unlock();
    }
  }

  /** No server and no one waiting. */
  boolean isEmpty() {
    return locked(() -> lists.isEmpty() && !line.anyone());
  }

  boolean hasWaiters() {
    return locked(line::anyone);
  }

  // ---- Views ----

  /** The counts, from the lists, with the pool's {@code clients}. */
  Pool.Snapshot snapshot(int clients) {
    return locked(() -> new Pool.Snapshot(
        clients,
        line.total(),
        line.maxWait(System.nanoTime()),
        lists.size(),
        lists.idle(),
        lists.active(),
        lists.login(),
        lists.tested()));
  }

  /** Every open server of this pool, closing ones included: a copy. */
  List<PooledServer> servers() {
    return locked(lists::copyAll);
  }

  /** The servers lent to clients now: a copy. */
  List<PooledServer> activeServers() {
    return locked(lists::copyActive);
  }

  /** Reads {@code what} holding the lock: for the views, none of them on a transaction's path. */
  private <T> T locked(Supplier<T> what) {
    lock.lock();
    try {
      return what.get();
    } finally {
      lock.unlock();
    }
  }

  // ---- Internals ----

  /** The last server error while server_login_retry has not passed since, else null. */
  private ErrorFields recentServerError(long now) {
    return errors.recent(now, pool.settings());
  }

  /** {@link ServerSupply#forWaiters}, unless paused or failing fast (lock held). */
  private List<PooledServer> launchPlan(long now) {
    PoolSettings cfg = pool.settings();
    if (paused || recentServerError(now) != null) {
      return null;
    }
    return supply.forWaiters(now, cfg, pool.lookupOnly());
  }

  /** {@link ServerSupply#forReplication}, unless paused (lock held). */
  private List<PooledServer> replicationPlan(long now, List<PooledServer> toEvict) {
    return paused ? null : supply.forReplication(now, pool.settings(), toEvict);
  }
}
