package dev.breakwater.server.pool;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.backend.ServerState;
import dev.breakwater.server.frontend.ClientConnection;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pool per (database, user): its servers, idle and in use, and the clients waiting for one.
 *
 * <p>Herding happens here. A client that needs a server calls {@link #acquire}; it gets an idle
 * server (the most recently used, preferring one on its own event loop), or waits first come,
 * first served while new servers are opened within the limits. A server that becomes free calls
 * {@link #release}: it goes to the longest-waiting client (or to one on its own event loop that
 * came within a millisecond of it: {@link #nextWaiter}) or back to the idle stack. Every state
 * change of a server or a waiting client happens under this pool's lock, which is held only for
 * that: no I/O under it, and it never nests with a client's monitor in either order (what must
 * happen to a client or a server afterwards is queued as a task on its event loop).
 */
public final class Pool {

  private static final Logger log = LoggerFactory.getLogger(Pool.class);

  /** How a pool makes servers: the running Breakwater supplies it. */
  public interface ServerLauncher {
    /**
     * Makes a server connection for {@code pool} on {@code loop} (any loop when null), without
     * any I/O: {@link ServerConnection#connect} starts it.
     */
    ServerConnection create(Pool pool, EventLoop loop);

    /**
     * Makes the server of a replication client, for it alone ({@link ServerConnection#isReplication}),
     * on its event loop, without any I/O.
     */
    default ServerConnection createReplication(Pool pool, dev.breakwater.server.backend.LinkedClient client) {
      throw new UnsupportedOperationException("this launcher opens no replication server");
    }
  }

  private final PoolKey key;
  private final Pools pools;
  private final ServerLauncher launcher;
  private volatile PoolSettings settings;

  private final ReentrantLock lock = new ReentrantLock();
  /**
   * Every open server of this pool, whatever its state; each is also on exactly one of the lists
   * below, the one of its state ({@link #move} is the only place that changes it), or on none
   * while it is being closed.
   */
  private final Set<ServerConnection> servers = new LinkedHashSet<>();
  /** Connecting and logging in. */
  private final Set<ServerConnection> login = new LinkedHashSet<>();
  /** Idle servers, most recently used first. */
  private final ArrayDeque<ServerConnection> idle = new ArrayDeque<>();
  /** Lent to a client (or running a query of Breakwater's for one). */
  private final Set<ServerConnection> active = new LinkedHashSet<>();
  /** Running Breakwater's own queries on their way back: connect_query, ROLLBACK, the reset. */
  private final Set<ServerConnection> tested = new LinkedHashSet<>();
  /** Clients waiting for a server, first come first served. */
  private final ArrayDeque<Borrower> waiting = new ArrayDeque<>();
  /**
   * Replication clients waiting for room to open their own server: never given a pooled one, nor
   * a pooled client theirs. Each server opened for one counts against the pool's size and the
   * database and user limits as any other, as in PgBouncer; when the pool is full, an idle server
   * is closed to make room (PgBouncer's eviction), else the client waits for one to close.
   */
  private final ArrayDeque<ClientConnection> replicationWaiting = new ArrayDeque<>();

  private final Set<ClientConnection> clients = ConcurrentHashMap.newKeySet();
  private final dev.breakwater.server.stats.PoolStats stats = new dev.breakwater.server.stats.PoolStats();

  private volatile dev.breakwater.server.frontend.WelcomeParameters welcomeParameters;
  private volatile ScramKeys passThroughKeys;
  private volatile dev.breakwater.protocol.auth.Secret queriedSecret;
  private volatile ErrorFields lastServerError;
  private volatile long lastServerErrorNanos;
  /** Whether the last failure was reaching the server (refused, timed out), not a login error. */
  private volatile boolean lastErrorWasConnect;
  private long lastProbeNanos;
  /** While the server cannot be reached, one connection is tried this often in the background. */
  private static final long PROBE_INTERVAL_NANOS = 500_000_000L;
  /** How long a server running connect_query or the reset query counts as on its way. */
  static final long TESTED_COVERS_NANOS = 1_000_000_000L;
  /** When the reserve pool was last opened up for a client that waited too long. */
  private long reserveActiveUntilNanos;

  public Pool(PoolKey key, PoolSettings settings, Pools pools, ServerLauncher launcher) {
    this.key = key;
    this.settings = settings;
    this.pools = pools;
    this.launcher = launcher;
  }

  public PoolKey key() {
    return key;
  }

  public dev.breakwater.server.stats.PoolStats stats() {
    return stats;
  }

  public PoolSettings settings() {
    return settings;
  }

  /** A reload: new sizes, modes and timeouts apply from the next assignment. */
  public void updateSettings(PoolSettings next) {
    this.settings = next;
  }

  /** Server parameters reported at login, sent to clients that log in: null until one logged in. */
  public Map<String, String> welcomeParameters() {
    return welcomeParameters;
  }

  public void welcomeParameters(Map<String, String> parameters) {
    if (welcomeParameters == null) {
      welcomeParameters = dev.breakwater.server.frontend.WelcomeParameters.of(parameters);
    }
  }

  /**
   * The pool user's secret as auth_query last found it at a login of that user; null when the
   * auth file has it.
   */
  public dev.breakwater.protocol.auth.Secret queriedSecret() {
    return queriedSecret;
  }

  public void queriedSecret(dev.breakwater.protocol.auth.Secret secret) {
    this.queriedSecret = secret;
  }

  /**
   * Keys recovered from a SCRAM proof of a client logged in as the pool's server user, for logging
   * in to servers without a password.
   */
  public ScramKeys passThroughKeys() {
    return passThroughKeys;
  }

  public void passThroughKeys(ScramKeys keys) {
    this.passThroughKeys = keys;
  }

  public ErrorFields lastServerError() {
    return lastServerError;
  }

  /** When {@link #lastServerError} happened ({@link System#nanoTime()}); meaningless when it is null. */
  public long lastServerErrorNanos() {
    return lastServerErrorNanos;
  }

  // ---- Life: pools made from the * entry are removed once unused ----

  /** Callers between finding this pool and using it (a client joining, a lookup borrowing). */
  private final java.util.concurrent.atomic.AtomicInteger holds =
      new java.util.concurrent.atomic.AtomicInteger();
  /** Set once {@link Pools} removed this pool: whoever holds it must find the pool again. */
  private volatile boolean retired;
  /** Since when the pool has had no client, server or waiter (nanoTime); 0 while in use. */
  private long unusedSinceNanos;
  /**
   * Made only to run auth_query for a database of the {@code *} entry: removed as soon as the
   * lookup is done, unless a client has joined it since. No client has logged in to it yet.
   */
  private volatile boolean lookupOnly;

  /**
   * Keeps the pool from being removed until {@link #unhold}; false when it was removed already
   * (then find it again in {@link Pools}: a new one is made).
   */
  boolean hold() {
    holds.incrementAndGet();
    if (retired) {
      holds.decrementAndGet();
      return false;
    }
    return true;
  }

  public void unhold() {
    holds.decrementAndGet();
  }

  /** Marks the pool removed when nothing holds or uses it; false (and unchanged) otherwise. */
  boolean retireIfUnused() {
    retired = true;
    if (holds.get() > 0 || !unused()) {
      retired = false;
      return false;
    }
    return true;
  }

  public boolean isRetired() {
    return retired;
  }

  /** No client, no server, no one waiting. */
  public boolean unused() {
    if (!clients.isEmpty()) {
      return false;
    }
    lock.lock();
    try {
      return servers.isEmpty() && waiting.isEmpty() && replicationWaiting.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /**
   * How long the pool has been unused at {@code now}, as seen by successive calls (from one
   * thread, the janitor's): 0 when it is in use.
   */
  long unusedFor(long now) {
    if (!unused()) {
      unusedSinceNanos = 0;
      return 0;
    }
    if (unusedSinceNanos == 0) {
      unusedSinceNanos = now == 0 ? 1 : now;
      return 0;
    }
    return now - unusedSinceNanos;
  }

  public boolean lookupOnly() {
    return lookupOnly;
  }

  void lookupOnly(boolean v) {
    lookupOnly = v;
  }

  // ---- Clients ----

  public void addClient(ClientConnection c) {
    clients.add(c);
    lookupOnly = false;
  }

  public void removeClient(ClientConnection c) {
    clients.remove(c);
    lock.lock();
    try {
      waiting.remove(c);
      replicationWaiting.remove(c);
    } finally {
      lock.unlock();
    }
  }

  public Set<ClientConnection> clients() {
    return clients;
  }

  /**
   * The client needs a server. It gets one through {@link ServerConnection#attach}, or an error
   * through {@link ClientConnection#failWaiting}; either comes later, on another task.
   */
  public void acquire(Borrower c) {
    ServerConnection idleServer;
    List<ServerConnection> toLaunch = null;
    ErrorFields failFast = null;
    lock.lock();
    try {
      idleServer = paused ? null : takeIdle(c.eventLoop());
      if (idleServer != null) {
        move(idleServer, ServerState.ACTIVE);
      } else if (shutdownError != null) {
        failFast = shutdownError;
      } else {
        long now = System.nanoTime();
        ErrorFields recent = recentServerError(now);
        if (recent != null && servers.isEmpty() && lastErrorWasConnect && !paused
            && pools.tryTakeServerSlot(this)) {
          // The server could not be reached, and no attempt is under way: this client waits for
          // one, rather than failing with an error that may be older than a restart that ended.
          lastProbeNanos = now;
          c.waitStartedNanos(now);
          waiting.add(c);
          ServerConnection probe = launcher.create(this, c.eventLoop());
          servers.add(probe);
          login.add(probe);
          toLaunch = List.of(probe);
        } else if (recent != null && servers.isEmpty()) {
          failFast = recent;
        } else {
          c.waitStartedNanos(now);
          waiting.add(c);
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
      launch(toLaunch);
    }
  }

  /**
   * A replication client logged in: a server of its own is opened, now if the pool has room (or
   * can make it by closing an idle server), else when it has. The client's login ends when that
   * server has logged in, or fails with its error ({@link ServerConnection}).
   */
  public void acquireReplication(ClientConnection c) {
    List<ServerConnection> toLaunch;
    List<ServerConnection> toEvict = new ArrayList<>();
    lock.lock();
    try {
      c.waitStartedNanos(System.nanoTime());
      replicationWaiting.add(c);
      toLaunch = replicationPlan(System.nanoTime(), toEvict);
    } finally {
      lock.unlock();
    }
    evict(toEvict);
    launch(toLaunch);
  }

  /**
   * A replication server logged in: it is active, its client's, from now until it closes. False
   * when it is being closed meanwhile.
   */
  public boolean replicationLinked(ServerConnection s) {
    lock.lock();
    try {
      if (!servers.contains(s) || s.closingReason() != null || s.state() == ServerState.CLOSED) {
        return false;
      }
      move(s, ServerState.ACTIVE);
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** A server that was taken for a client that has gone: back to the front of the line. */
  public void requeue(Borrower c) {
    if (c.isClosed()) {
      return;
    }
    ErrorFields stop = shutdownError;
    if (stop != null) {
      c.failWaiting(stop, CloseReason.SHUTDOWN);
      return;
    }
    List<ServerConnection> toLaunch;
    lock.lock();
    try {
      ServerConnection s = paused ? null : takeIdle(c.eventLoop());
      if (s != null) {
        move(s, ServerState.ACTIVE);
        s.assign(c);
        return;
      }
      long now = System.nanoTime();
      if (c.waitStartedNanos() == 0) {
        // The wait starts again: query_wait_timeout counts from now, not from time zero.
        c.waitStartedNanos(now);
      }
      waiting.addFirst(c);
      toLaunch = launchPlan(now);
    } finally {
      lock.unlock();
    }
    launch(toLaunch);
  }

  /**
   * The server is clean, idle and ready for any client: it goes to a waiting client (see
   * {@link #nextWaiter}), or to the top of the idle stack. Called on the server's event loop; the
   * link to a waiting client is made later, as a task on that loop.
   */
  public void release(ServerConnection s) {
    release(s, false);
  }

  /**
   * {@link #release}, called as the last thing a server's read does: the server is linked to the
   * waiting client it goes to at once, on this loop, rather than by a task queued on it (the link
   * is made on the server's loop either way). Not for other callers: linking may release the
   * server again (a client still logging in takes only the server's parameters), and only here is
   * nothing of the server's own read left to run after it.
   */
  public void releaseAfterRead(ServerConnection s) {
    release(s, true);
  }

  private void release(ServerConnection s, boolean linkHere) {
    CloseReason retire;
    Borrower next = null;
    lock.lock();
    try {
      if (!servers.contains(s)) {
        return;
      }
      long now = System.nanoTime();
      retire = retireReason(s, now);
      if (retire == null) {
        Borrower c;
        while ((c = nextWaiter(waiting, s.eventLoop())) != null) {
          if (!c.isClosed()) {
            next = c;
            break;
          }
        }
        if (next == null) {
          s.markIdle();
          move(s, ServerState.IDLE);
          return;
        }
        s.markHandedOn(now);
        move(s, ServerState.ACTIVE);
        if (!linkHere) {
          s.assign(next);
          return;
        }
      } else {
        unlist(s);
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
  private CloseReason retireReason(ServerConnection s, long now) {
    if (s.generation() != generation) {
      return CloseReason.RECONNECT;
    }
    if (paused) {
      return CloseReason.PAUSED;
    }
    long lifetime = settings.serverLifetime().toNanos();
    if ((lifetime == 0 && s.wasUsed()) || (lifetime > 0 && now - s.createdNanos() > lifetime)) {
      return CloseReason.SERVER_LIFETIME;
    }
    return null;
  }

  // ---- Operator verbs (see dev.breakwater.server.Control) ----

  private volatile int generation;
  private volatile boolean paused;

  /** Servers made before the last {@link #reconnect} are closed once released. */
  public int generation() {
    return generation;
  }

  /**
   * RECONNECT, or a reload that moved the database or changed the server-side TLS settings: every
   * server is replaced as it is released, and a remembered login error, which came from the old
   * way of reaching the server, no longer makes clients fail fast.
   */
  public void reconnect() {
    lock.lock();
    try {
      generation++;
      lastServerError = null;
    } finally {
      lock.unlock();
    }
    closeIdle(CloseReason.RECONNECT);
    if (settings.serverFastClose() && settings.mode() == dev.breakwater.server.config.PoolMode.SESSION) {
      // server_fast_close: session clients lose their servers between transactions, not at the
      // end of their sessions.
      for (ServerConnection s : servers()) {
        s.fastCloseIfBetweenTransactions();
      }
    }
  }

  /** PAUSE: no server is lent; each one closes once released. */
  public void pause() {
    paused = true;
    closeIdle(CloseReason.PAUSED);
  }

  /** Set by {@link #shutDown}: why a client that needs a server is closed instead of waiting. */
  private volatile ErrorFields shutdownError;

  /**
   * SHUTDOWN WAIT_FOR_SERVERS: as PAUSE, and a client that waits for a server, or asks for one
   * later, is closed with {@code error} rather than kept waiting for a server that will not come.
   * Clients that hold a server keep it until they release it.
   */
  public void shutDown(ErrorFields error) {
    List<Borrower> failed;
    lock.lock();
    try {
      shutdownError = error;
      failed = new ArrayList<>(waiting);
      waiting.clear();
    } finally {
      lock.unlock();
    }
    pause();
    for (Borrower b : failed) {
      b.failWaiting(error, CloseReason.SHUTDOWN);
    }
  }

  /** RESUME: clients that waited get servers again. */
  public void resume() {
    List<ServerConnection> toLaunch;
    List<ServerConnection> toEvict = new ArrayList<>();
    lock.lock();
    try {
      paused = false;
      toLaunch = waiting.isEmpty() ? null : launchPlan(System.nanoTime());
      List<ServerConnection> forReplication = replicationPlan(System.nanoTime(), toEvict);
      if (forReplication != null) {
        toLaunch = toLaunch == null ? forReplication : concat(toLaunch, forReplication);
      }
    } finally {
      lock.unlock();
    }
    evict(toEvict);
    launch(toLaunch);
  }

  public boolean isPaused() {
    return paused;
  }

  /** True when no server of this pool is open. */
  public boolean hasNoServers() {
    lock.lock();
    try {
      return servers.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  /** True when no server of this pool is older than the last reconnect. */
  public boolean hasNoOldServers() {
    lock.lock();
    try {
      for (ServerConnection s : servers) {
        if (s.generation() != generation) {
          return false;
        }
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  /** KILL or shutdown: every client and server of this pool, now. */
  /** Closes every client (the future completes once they are closed) and every server. */
  public java.util.concurrent.CompletableFuture<Void> kill(ErrorFields error, CloseReason reason) {
    List<java.util.concurrent.CompletableFuture<Void>> closed = new ArrayList<>();
    for (ClientConnection c : clients) {
      closed.add(c.closeWithError(error, reason));
    }
    for (ServerConnection s : servers()) {
      s.close(reason);
    }
    return java.util.concurrent.CompletableFuture.allOf(closed.toArray(java.util.concurrent.CompletableFuture[]::new));
  }

  /**
   * Login errors that go away by themselves (the server starting up or shutting down, too many
   * connections, connection trouble): retried in the background rather than after
   * server_login_retry, which is for errors that need a person (a wrong password).
   */
  private static boolean transientLoginError(String sqlState) {
    return sqlState.startsWith("08")
        || sqlState.equals("57P01")
        || sqlState.equals("57P02")
        || sqlState.equals("57P03")
        || sqlState.equals("53300");
  }

  /** Which of several hosts ({@code host=a,b}) the next server connects to. Guarded by lock. */
  private int hostTurn;
  /** Servers in a row that could not connect since one last logged in. Guarded by lock. */
  private int connectFailuresInRow;

  /**
   * The host a new server connects to: the next in turn (load_balance_hosts = round-robin), or the
   * first that has not just failed (disable); one of a single-host entry.
   */
  public String nextServerHost() {
    PoolSettings cfg = settings;
    List<String> hosts = cfg.serverHosts();
    if (hosts.size() == 1) {
      return hosts.get(0);
    }
    lock.lock();
    try {
      int turn = cfg.rotateHosts() ? hostTurn++ : connectFailuresInRow;
      return hosts.get(Math.floorMod(turn, hosts.size()));
    } finally {
      lock.unlock();
    }
  }

  /** The server has closed, for whatever reason: forget it, and open another if clients wait. */
  public void onServerClosed(ServerConnection s, CloseReason reason, ErrorFields error) {
    boolean connectFailure =
        reason == CloseReason.CONNECT_FAILED
            || reason == CloseReason.CONNECT_TIMEOUT
            || (error != null && transientLoginError(error.sqlState()));
    List<Borrower> toFail = null;
    List<ServerConnection> toLaunch = null;
    List<ServerConnection> toEvict = new ArrayList<>();
    if (s.isReplication()) {
      // Its login failure is its client's alone (no REPLICATION role, no replication line in
      // pg_hba.conf): other clients of the pool may still log in, as PgBouncer has it.
      error = null;
    }
    lock.lock();
    try {
      if (!servers.remove(s)) {
        return;
      }
      unlist(s);
      pools.releaseServerSlot(this);
      long now = System.nanoTime();
      List<ServerConnection> forReplication = replicationPlan(now, toEvict);
      if (forReplication != null) {
        toLaunch = forReplication;
      }
      boolean anotherHost = false;
      if (connectFailure && settings.serverHosts().size() > 1) {
        // Several hosts: the next is tried before the clients are told, until each has failed.
        anotherHost = ++connectFailuresInRow % settings.serverHosts().size() != 0;
      }
      if (anotherHost) {
        log.info("pool {}: could not connect to a server ({}): trying the next host",
            key, error == null ? reason : error.message());
        if (!waiting.isEmpty()) {
          List<ServerConnection> more = launchPlan(now);
          toLaunch = toLaunch == null ? more : more == null ? toLaunch : concat(toLaunch, more);
        }
      } else if (error != null) {
        lastServerError = error;
        lastServerErrorNanos = now;
        lastErrorWasConnect = connectFailure;
        if (!waiting.isEmpty() && (servers.isEmpty() || !connectFailure)) {
          if (connectFailure) {
            // As PgBouncer, the clients waiting when the server could not be reached wait on, and
            // the janitor tries again after server_login_retry (a server starting up is there by
            // then); a client that has waited that long already gets the error.
            long retry = settings.serverLoginRetry().toNanos();
            toFail = new ArrayList<>();
            for (Iterator<Borrower> it = waiting.iterator(); it.hasNext(); ) {
              Borrower c = it.next();
              if (now - c.waitStartedNanos() >= retry) {
                it.remove();
                toFail.add(c);
              }
            }
          } else {
            // A login error that needs a person (a wrong password): every waiting client gets it
            // now, even while other servers are busy, as PgBouncer does (kill_pool_logins); no new
            // server is tried before server_login_retry, so waiting on would only mean a timeout.
            toFail = new ArrayList<>(waiting);
            waiting.clear();
          }
        }
      } else if (!waiting.isEmpty()) {
        List<ServerConnection> more = launchPlan(now);
        toLaunch = toLaunch == null ? more : more == null ? toLaunch : concat(toLaunch, more);
      }
    } finally {
      lock.unlock();
    }
    evict(toEvict);
    if (toFail != null) {
      for (Borrower c : toFail) {
        c.failWaiting(error, CloseReason.SERVER_UNAVAILABLE);
      }
    }
    launch(toLaunch);
  }

  /** A server logged in: its error history is cleared. */
  public void onServerLoggedIn(ServerConnection s) {
    lastServerError = null;
    lock.lock();
    try {
      connectFailuresInRow = 0;
    } finally {
      lock.unlock();
    }
  }

  // ---- Time-driven work, called by the janitor ----

  /**
   * Expires clients that waited longer than query_wait_timeout, opens the reserve pool for clients
   * that waited longer than reserve_pool_timeout, keeps min_pool_size, and closes servers idle
   * longer than server_idle_timeout or older than server_lifetime.
   */
  public void maintain(long now) {
    PoolSettings cfg = settings;
    List<Borrower> expired = null;
    List<ServerConnection> toClose = null;
    List<ServerConnection> toLaunch = null;
    List<ServerConnection> toEvict = new ArrayList<>();
    List<ServerConnection> forReplication;
    boolean queryTimedOut;
    lock.lock();
    try {
      long waitLimit = cfg.queryWaitTimeout().toNanos();
      // As PgBouncer, query_timeout also bounds the wait for a server, when it is the shorter.
      long queryLimit = cfg.queryTimeout().toNanos();
      queryTimedOut = queryLimit > 0 && (waitLimit <= 0 || queryLimit < waitLimit);
      if (queryTimedOut) {
        waitLimit = queryLimit;
      }
      if (waitLimit > 0) {
        for (Iterator<ClientConnection> it = replicationWaiting.iterator(); it.hasNext(); ) {
          ClientConnection c = it.next();
          if (c.isClosed()) {
            it.remove();
          } else if (now - c.waitStartedNanos() > waitLimit) {
            it.remove();
            if (expired == null) {
              expired = new ArrayList<>();
            }
            expired.add(c);
          }
        }
      }
      for (ServerConnection s : active) {
        if (s.isReplication() && s.generation() != generation && s.closingReason() == null) {
          // RECONNECT: a replication stream has no end to wait for (PgBouncer closes it too).
          if (toClose == null) {
            toClose = new ArrayList<>();
          }
          toClose.add(s);
          s.markClosing(CloseReason.RECONNECT);
        }
      }
      forReplication = replicationPlan(now, toEvict);
      if (waitLimit > 0) {
        for (Iterator<Borrower> it = waiting.iterator(); it.hasNext(); ) {
          Borrower c = it.next();
          if (c.isClosed()) {
            it.remove();
          } else if (now - c.waitStartedNanos() > waitLimit) {
            it.remove();
            if (expired == null) {
              expired = new ArrayList<>();
            }
            expired.add(c);
          }
        }
      }
      long notifyAfter = cfg.queryWaitNotify().toNanos();
      if (notifyAfter > 0) {
        for (Borrower c : waiting) {
          if (now - c.waitStartedNanos() > notifyAfter) {
            c.waitingLong(key.database());
          }
        }
      }
      Borrower oldest = waiting.peek();
      long reserveTimeout = cfg.reservePoolTimeout().toNanos();
      if (oldest != null
          && cfg.reservePoolSize() > 0
          && now - oldest.waitStartedNanos() > reserveTimeout) {
        if (reserveActiveUntilNanos < now) {
          log.info("pool {}: opening the reserve pool ({} more servers): a client waited {} ms",
              key, cfg.reservePoolSize(), (now - oldest.waitStartedNanos()) / 1_000_000);
        }
        reserveActiveUntilNanos = now + Math.max(reserveTimeout, 1_000_000_000L);
      }
      // A pool opened only for an auth_query lookup keeps no min_pool_size: it goes once done.
      if (!waiting.isEmpty()
          || (servers.size() < cfg.minPoolSize() && !lookupOnly && !pools.othersWaitFor(this))) {
        toLaunch = launchPlan(now);
      }
      if (toLaunch == null
          && !paused
          && servers.isEmpty()
          && lastErrorWasConnect
          && recentServerError(now) != null
          && !clients.isEmpty()
          && now - lastProbeNanos > PROBE_INTERVAL_NANOS
          && pools.tryTakeServerSlot(this)) {
        // The server could not be reached: clients fail fast with the cached error meanwhile,
        // and one connection is tried in the background so service resumes as soon as it can.
        lastProbeNanos = now;
        ServerConnection probe = launcher.create(this, null);
        servers.add(probe);
        login.add(probe);
        toLaunch = List.of(probe);
      }
      long idleLimit = cfg.serverIdleTimeout().toNanos();
      long lifetime = cfg.serverLifetime().toNanos();
      int remaining = servers.size();
      for (Iterator<ServerConnection> it = idle.descendingIterator(); it.hasNext(); ) {
        ServerConnection s = it.next();
        boolean tooOld = lifetime > 0 && now - s.createdNanos() > lifetime;
        boolean idleTooLong = idleLimit > 0 && now - s.idleSinceNanos() > idleLimit;
        if (tooOld || (idleTooLong && remaining > cfg.minPoolSize())) {
          it.remove(); // off the idle list: closing
          remaining--;
          if (toClose == null) {
            toClose = new ArrayList<>();
          }
          toClose.add(s);
          s.markClosing(tooOld ? CloseReason.SERVER_LIFETIME : CloseReason.SERVER_IDLE_TIMEOUT);
        }
      }
    } finally {
      lock.unlock();
    }
    evict(toEvict);
    launch(forReplication);
    enforceTimeouts(cfg, now);
    if (expired != null) {
      ErrorFields error =
          queryTimedOut
              ? ErrorFields.of("ERROR", SqlState.QUERY_CANCELED, "query_timeout")
              : ErrorFields.of("ERROR", SqlState.TOO_MANY_CONNECTIONS, "query_wait_timeout");
      ErrorFields cause = lastServerError; // cleared when a server logs in
      if (cause != null && !queryTimedOut) {
        // The wait was for a server that could not be had: say why, as a DETAIL.
        java.util.Map<Character, String> f = new java.util.LinkedHashMap<>(error.fields());
        f.put(ErrorFields.DETAIL, "no server could be had: " + cause.message());
        error = new ErrorFields(f);
      }
      for (Borrower c : expired) {
        c.failWaiting(error, CloseReason.QUERY_WAIT_TIMEOUT);
      }
    }
    if (toClose != null) {
      for (ServerConnection s : toClose) {
        s.close(s.closingReason());
      }
    }
    launch(toLaunch);
  }

  /**
   * query_timeout cancels a query running too long (the client gets 57014 from PostgreSQL and keeps
   * its connection); idle_transaction_timeout (25P03) and transaction_timeout (25P04) close the
   * client, whose transaction is then rolled back; client_idle_timeout (57P05) closes a client that
   * has done nothing for that long.
   */
  private void enforceTimeouts(PoolSettings cfg, long now) {
    long queryTimeout = cfg.queryTimeout().toNanos();
    long idleTx = cfg.idleTransactionTimeout().toNanos();
    long txTimeout = cfg.transactionTimeout().toNanos();
    if (queryTimeout > 0 || idleTx > 0 || txTimeout > 0) {
      for (ServerConnection s : activeServers()) {
        dev.breakwater.server.backend.LinkedClient c = s.client();
        if (queryTimeout > 0 && s.queryRunningNanos(now) > queryTimeout) {
          s.cancelForTimeout();
        } else if (c != null && idleTx > 0 && s.idleInTransactionNanos(now) > idleTx) {
          c.failWaiting(
              ErrorFields.of("FATAL", SqlState.IDLE_IN_TRANSACTION_SESSION_TIMEOUT, "idle transaction timeout"),
              CloseReason.IDLE_TRANSACTION_TIMEOUT);
        } else if (c != null && txTimeout > 0 && s.transactionRunningNanos(now) > txTimeout) {
          c.failWaiting(
              ErrorFields.of("FATAL", SqlState.TRANSACTION_TIMEOUT, "transaction timeout"),
              CloseReason.TRANSACTION_TIMEOUT);
        }
      }
    }
    long clientIdle = cfg.clientIdleTimeout().toNanos();
    if (clientIdle > 0) {
      for (ClientConnection c : clients) {
        if (c.state() == dev.breakwater.server.frontend.ClientState.IDLE
            && now - c.lastActivityNanos() > clientIdle) {
          c.failWaiting(
              ErrorFields.of("FATAL", SqlState.IDLE_SESSION_TIMEOUT, "client_idle_timeout"),
              CloseReason.CLIENT_IDLE_TIMEOUT);
        }
      }
    }
  }

  /** Closes one idle server to make room for another pool; true when one was closed. */
  public boolean evictIdle() {
    ServerConnection victim;
    lock.lock();
    try {
      victim = idle.pollLast();
      if (victim == null) {
        return false;
      }
      victim.markClosing(CloseReason.EVICTED);
    } finally {
      lock.unlock();
    }
    victim.close(CloseReason.EVICTED);
    return true;
  }

  /** Closes every idle server, for RECONNECT or shutdown; busy ones close when released. */
  public void closeIdle(CloseReason reason) {
    List<ServerConnection> victims;
    lock.lock();
    try {
      victims = new ArrayList<>(idle);
      idle.clear();
      for (ServerConnection s : victims) {
        s.markClosing(reason);
      }
    } finally {
      lock.unlock();
    }
    for (ServerConnection s : victims) {
      s.close(reason);
    }
  }

  public boolean hasWaiters() {
    lock.lock();
    try {
      return !waiting.isEmpty() || !replicationWaiting.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  // ---- Views ----

  /** A consistent snapshot of the counts, for stats, health and SHOW POOLS. */
  public record Snapshot(
      int clients, int waiting, long maxWaitNanos, int servers, int idle, int active, int login, int tested) {}

  public Snapshot snapshot() {
    lock.lock();
    try {
      long now = System.nanoTime();
      long maxWait = 0;
      Borrower oldest = waiting.peek();
      if (oldest != null) {
        maxWait = now - oldest.waitStartedNanos();
      }
      ClientConnection oldestReplication = replicationWaiting.peek();
      if (oldestReplication != null) {
        maxWait = Math.max(maxWait, now - oldestReplication.waitStartedNanos());
      }
      return new Snapshot(
          clients.size(),
          waiting.size() + replicationWaiting.size(),
          maxWait,
          servers.size(),
          idle.size(),
          active.size(),
          login.size(),
          tested.size());
    } finally {
      lock.unlock();
    }
  }

  public List<ServerConnection> servers() {
    lock.lock();
    try {
      return new ArrayList<>(servers);
    } finally {
      lock.unlock();
    }
  }

  /** The servers lent to clients now. */
  private List<ServerConnection> activeServers() {
    lock.lock();
    try {
      return new ArrayList<>(active);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Called by a server on its loop: it runs Breakwater's own queries (connect_query after login,
   * ROLLBACK or the reset after a client) before it comes back.
   */
  public void testing(ServerConnection s) {
    lock.lock();
    try {
      if (servers.contains(s)) {
        move(s, ServerState.TESTED);
      }
    } finally {
      lock.unlock();
    }
  }

  // ---- The one transition function (lock held) ----

  /**
   * Moves a server of this pool to the list of state {@code to}, and sets its state: the only
   * place, besides closing, where a pooled server's state changes (PgBouncer's
   * change_server_state). A closed server is only taken off its list.
   */
  private void move(ServerConnection s, ServerState to) {
    unlist(s);
    if (s.state() == ServerState.CLOSED) {
      return;
    }
    switch (to) {
      case LOGIN -> login.add(s);
      case IDLE -> idle.addFirst(s);
      case ACTIVE -> active.add(s);
      case TESTED -> tested.add(s);
      default -> throw new IllegalArgumentException("not a list: " + to);
    }
    s.moveTo(to);
  }

  /** Takes a server off whichever list it is on (closing, or about to move). */
  private void unlist(ServerConnection s) {
    switch (s.state()) {
      case LOGIN -> login.remove(s);
      case IDLE -> idle.remove(s);
      case ACTIVE -> active.remove(s);
      case TESTED -> tested.remove(s);
      default -> {
        login.remove(s);
        idle.remove(s);
        active.remove(s);
        tested.remove(s);
      }
    }
  }

  // ---- Internals (lock held) ----

  /** How far down the line a released server looks for a client on its own loop. */
  private static final int WAITER_LOOKAHEAD = 8;
  /** How much longer than that client the first in line may have waited for it still to go first. */
  private static final long WAITER_SKEW_NANOS = 1_000_000L;

  /**
   * The client a released server goes to: the first in line, unless one a few places behind it,
   * which came at most {@link #WAITER_SKEW_NANOS} later, is on the server's own event loop. That
   * one then goes first: its bytes and the server's replies stay on one thread, with no task
   * handed across and no wake-up. The order is first come, first served within a millisecond.
   */
  static Borrower nextWaiter(ArrayDeque<Borrower> waiting, EventLoop loop) {
    Borrower first = waiting.peekFirst();
    if (first == null || first.eventLoop() == loop) {
      return waiting.pollFirst();
    }
    long deadline = first.waitStartedNanos() + WAITER_SKEW_NANOS;
    int looked = 0;
    for (Iterator<Borrower> it = waiting.iterator(); it.hasNext() && looked < WAITER_LOOKAHEAD; looked++) {
      Borrower b = it.next();
      if (b.waitStartedNanos() - deadline > 0) {
        break;
      }
      if (b.eventLoop() == loop) {
        it.remove();
        return b;
      }
    }
    return waiting.pollFirst();
  }

  /**
   * The waiters that no server logging in is meant for: the line less its first {@code covered},
   * the ones that the servers already on their way will go to. A new server is opened on the event
   * loop of the waiter it is meant for, so that the two stay on one thread; counting from the head
   * instead would put every server of a burst on the first waiter's loop, and leave the clients of
   * every other loop to be served across threads for as long as those servers live.
   */
  static Iterator<Borrower> uncovered(ArrayDeque<Borrower> waiting, int covered) {
    Iterator<Borrower> it = waiting.iterator();
    for (int i = 0; i < covered && it.hasNext(); i++) {
      it.next();
    }
    return it;
  }

  private ServerConnection takeIdle(EventLoop preferred) {
    ServerConnection chosen = null;
    int looked = 0;
    for (ServerConnection s : idle) {
      if (s.eventLoop() == preferred) {
        chosen = s;
        break;
      }
      if (++looked >= 64) {
        break;
      }
    }
    if (chosen == null) {
      chosen = idle.peekFirst();
    }
    return chosen; // still on the idle list: the caller moves it
  }

  private ErrorFields recentServerError(long now) {
    ErrorFields e = lastServerError;
    if (e == null) {
      return null;
    }
    long retry = settings.serverLoginRetry().toNanos();
    return now - lastServerErrorNanos < retry ? e : null;
  }

  private int reserveAllowance(long now, PoolSettings cfg) {
    return reserveActiveUntilNanos > now ? cfg.reservePoolSize() : 0;
  }

  /**
   * Decides how many servers to open now and creates them, registered and counted, so that
   * concurrent decisions see them; the caller connects them after letting go of the lock.
   */
  private List<ServerConnection> launchPlan(long now) {
    PoolSettings cfg = settings;
    if (paused || recentServerError(now) != null) {
      return null;
    }
    int limit = cfg.poolSize() + reserveAllowance(now, cfg);
    if (servers.size() >= limit) {
      // A full pool, the usual case while clients wait: no need to count the servers logging in.
      return null;
    }
    // Servers on their way: logging in, or running connect_query or the reset query before they
    // come back to the pool. Each covers a waiter, as PgBouncer counts its tested servers; one
    // whose query has run for TESTED_COVERS_NANOS is not about to come back (these queries have no
    // timeout of their own), and no longer keeps a new server from opening.
    int coming = 0;
    if (!waiting.isEmpty()) {
      for (ServerConnection s : login) {
        if (!s.isReplication()) {
          coming++; // a replication client's server comes for that client only
        }
      }
      for (ServerConnection s : tested) {
        if (now - s.testedSinceNanos() < TESTED_COVERS_NANOS) {
          coming++;
        }
      }
    }
    int wanted = Math.max(waiting.size() - coming, (lookupOnly ? 0 : cfg.minPoolSize()) - servers.size());
    List<ServerConnection> plan = null;
    Iterator<Borrower> waiters = uncovered(waiting, coming);
    for (int i = 0; i < wanted; i++) {
      if (servers.size() >= limit) {
        break;
      }
      if (!pools.tryTakeServerSlot(this)) {
        break;
      }
      Borrower w = waiters.hasNext() ? waiters.next() : null;
      ServerConnection s = launcher.create(this, w != null ? w.eventLoop() : null);
      servers.add(s);
      login.add(s);
      if (plan == null) {
        plan = new ArrayList<>();
      }
      plan.add(s);
    }
    return plan;
  }

  /**
   * Opens servers for the replication clients that wait, as far as the pool's size and the
   * database and user limits allow; in a full pool, marks idle servers to close to make room for
   * those still waiting (into {@code toEvict}, closed by the caller after letting go of the lock),
   * one for each such client beyond the servers already closing.
   */
  private List<ServerConnection> replicationPlan(long now, List<ServerConnection> toEvict) {
    if (paused || replicationWaiting.isEmpty()) {
      return null;
    }
    PoolSettings cfg = settings;
    int limit = cfg.poolSize() + reserveAllowance(now, cfg);
    int closing = servers.size() - (login.size() + idle.size() + active.size() + tested.size());
    List<ServerConnection> plan = null;
    for (Iterator<ClientConnection> it = replicationWaiting.iterator(); it.hasNext(); ) {
      ClientConnection c = it.next();
      if (c.isClosed()) {
        it.remove();
        continue;
      }
      if (servers.size() < limit) {
        if (!pools.tryTakeServerSlot(this)) {
          break;
        }
        it.remove();
        ServerConnection s = launcher.createReplication(this, c);
        servers.add(s);
        login.add(s);
        if (plan == null) {
          plan = new ArrayList<>();
        }
        plan.add(s);
      } else if (closing > 0) {
        closing--; // one already on its way out makes room for this client
      } else {
        ServerConnection victim = idle.pollLast();
        if (victim == null) {
          break; // every server is in use: wait for one to close
        }
        log.info("pool {}: closing an idle server to make room for replication client {}", key, c);
        victim.markClosing(CloseReason.EVICTED);
        toEvict.add(victim);
      }
    }
    return plan;
  }

  private static void evict(List<ServerConnection> victims) {
    for (ServerConnection s : victims) {
      s.close(CloseReason.EVICTED);
    }
  }

  private static List<ServerConnection> concat(List<ServerConnection> a, List<ServerConnection> b) {
    List<ServerConnection> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static void launch(List<ServerConnection> plan) {
    if (plan != null) {
      for (ServerConnection s : plan) {
        s.connect();
      }
    }
  }

  @Override
  public String toString() {
    return "pool " + key;
  }
}
