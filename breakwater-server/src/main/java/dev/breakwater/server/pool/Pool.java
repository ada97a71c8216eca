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

  private final Set<ClientConnection> clients = ConcurrentHashMap.newKeySet();
  private final dev.breakwater.server.stats.PoolStats stats = new dev.breakwater.server.stats.PoolStats();

  private volatile Map<String, String> welcomeParameters;
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
      welcomeParameters = Map.copyOf(parameters);
    }
  }

  /** Keys recovered from a client's SCRAM proof, for logging in to servers without a password. */
  /** The pool user's secret as auth_query last found it; null when the auth file has it. */
  public dev.breakwater.protocol.auth.Secret queriedSecret() {
    return queriedSecret;
  }

  public void queriedSecret(dev.breakwater.protocol.auth.Secret secret) {
    this.queriedSecret = secret;
  }

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

  // ---- Clients ----

  public void addClient(ClientConnection c) {
    clients.add(c);
  }

  public void removeClient(ClientConnection c) {
    clients.remove(c);
    lock.lock();
    try {
      waiting.remove(c);
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
      } else {
        long now = System.nanoTime();
        ErrorFields recent = recentServerError(now);
        if (recent != null && servers.isEmpty()) {
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
      c.failWaiting(failFast, CloseReason.SERVER_UNAVAILABLE);
    } else {
      launch(toLaunch);
    }
  }

  /** A server that was taken for a client that has gone: back to the front of the line. */
  public void requeue(Borrower c) {
    if (c.isClosed()) {
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

  /** RECONNECT, or a reload that moved the database: every server is replaced as it is released. */
  public void reconnect() {
    lock.lock();
    try {
      generation++;
    } finally {
      lock.unlock();
    }
    closeIdle(CloseReason.RECONNECT);
  }

  /** PAUSE: no server is lent; each one closes once released. */
  public void pause() {
    paused = true;
    closeIdle(CloseReason.PAUSED);
  }

  /** RESUME: clients that waited get servers again. */
  public void resume() {
    List<ServerConnection> toLaunch;
    lock.lock();
    try {
      paused = false;
      toLaunch = waiting.isEmpty() ? null : launchPlan(System.nanoTime());
    } finally {
      lock.unlock();
    }
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
  public void kill(ErrorFields error, CloseReason reason) {
    for (ClientConnection c : clients) {
      c.failWaiting(error, reason);
    }
    for (ServerConnection s : servers()) {
      s.close(reason);
    }
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

  /** The server has closed, for whatever reason: forget it, and open another if clients wait. */
  public void onServerClosed(ServerConnection s, CloseReason reason, ErrorFields error) {
    boolean connectFailure =
        reason == CloseReason.CONNECT_FAILED
            || reason == CloseReason.CONNECT_TIMEOUT
            || (error != null && transientLoginError(error.sqlState()));
    List<Borrower> toFail = null;
    List<ServerConnection> toLaunch = null;
    lock.lock();
    try {
      if (!servers.remove(s)) {
        return;
      }
      unlist(s);
      pools.releaseServerSlot(this);
      long now = System.nanoTime();
      if (error != null) {
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
        toLaunch = launchPlan(now);
      }
    } finally {
      lock.unlock();
    }
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
      if (!waiting.isEmpty() || servers.size() < cfg.minPoolSize()) {
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
    enforceTimeouts(cfg, now);
    if (expired != null) {
      ErrorFields error =
          queryTimedOut
              ? ErrorFields.of("ERROR", SqlState.QUERY_CANCELED, "query_timeout")
              : ErrorFields.of("ERROR", SqlState.TOO_MANY_CONNECTIONS, "query_wait_timeout");
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
        ClientConnection c = s.client();
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
      return !waiting.isEmpty();
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
      Borrower oldest = waiting.peek();
      return new Snapshot(
          clients.size(),
          waiting.size(),
          oldest == null ? 0 : now - oldest.waitStartedNanos(),
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
      coming = login.size();
      for (ServerConnection s : tested) {
        if (now - s.testedSinceNanos() < TESTED_COVERS_NANOS) {
          coming++;
        }
      }
    }
    int wanted = Math.max(waiting.size() - coming, cfg.minPoolSize() - servers.size());
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
