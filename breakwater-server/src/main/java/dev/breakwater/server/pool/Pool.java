package dev.breakwater.server.pool;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.stats.PoolStats;
import java.util.AbstractCollection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One pool per (database, user): its servers, idle and in use, and the clients waiting for one.
 *
 * <p>Herding happens here. A client that needs a server calls {@link #acquire}; it gets an idle
 * server (the most recently used, preferring one on its own event loop), or waits first come,
 * first served while new servers are opened within the limits. A server that becomes free calls
 * {@link #release}: it goes to the longest-waiting client (or to one on its own event loop that
 * came within a millisecond of it: {@link WaitingLine#nextWaiter}) or back to the idle stack.
 *
 * <p>The lending itself, under the pool's one lock, is its {@link Lender}'s; this class is what the
 * rest of the server holds: the pool's key and settings, what logins taught it, its clients, and
 * whether it may be removed. The pool knows servers and clients only as {@link PooledServer} and
 * {@link PoolClient}.
 */
public final class Pool {

  private final PoolKey key;
  private volatile PoolSettings settings;
  private final Lender lender;
  private final Set<PoolClient> clients = ConcurrentHashMap.newKeySet();
  private final PoolStats stats = new PoolStats();

  private volatile WelcomeParameters welcomeParameters;
  private volatile ScramKeys passThroughKeys;
  private volatile Secret queriedSecret;

  public Pool(PoolKey key, PoolSettings settings, Pools pools, ServerLauncher launcher) {
    this.key = key;
    this.settings = settings;
    this.lender = new Lender(this, pools, launcher);
  }

  public PoolKey key() {
    return key;
  }

  public PoolStats stats() {
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
      welcomeParameters = WelcomeParameters.of(parameters);
    }
  }

  /**
   * The pool user's secret as auth_query last found it at a login of that user; null when the
   * auth file has it.
   */
  public Secret queriedSecret() {
    return queriedSecret;
  }

  public void queriedSecret(Secret secret) {
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

  /** The last error of a server that could not connect or log in; null since one logged in. */
  public ErrorFields lastServerError() {
    return lender.lastServerError();
  }

  /** When {@link #lastServerError} happened ({@link System#nanoTime()}); meaningless when it is null. */
  public long lastServerErrorNanos() {
    return lender.lastServerErrorNanos();
  }

  // ---- Life: pools made from the * entry are removed once unused ----

  /** Callers between finding this pool and using it (a client joining, a lookup borrowing). */
  private final AtomicInteger holds = new AtomicInteger();
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
    return lender.isEmpty();
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

  public void addClient(PoolClient c) {
    clients.add(c);
    lookupOnly = false;
  }

  public void removeClient(PoolClient c) {
    clients.remove(c);
    lender.remove(c);
  }

  /** The pool's clients, live. */
  public Set<PoolClient> clients() {
    return clients;
  }

  /**
   * {@link #clients} as the class they are, for views that read more of a client than the pool
   * knows: live, each cast as it is read, nothing copied. Every client of a pool is of the class
   * that joins pools ({@code ClientConnection}); another {@code type} fails with a
   * ClassCastException.
   */
  public <C extends PoolClient> Collection<C> clients(Class<C> type) {
    return new AbstractCollection<>() {
      @Override
      public Iterator<C> iterator() {
        Iterator<PoolClient> all = clients.iterator();
        return new Iterator<>() {
          @Override
          public boolean hasNext() {
            return all.hasNext();
          }

          @Override
          public C next() {
            return type.cast(all.next());
          }
        };
      }

      @Override
      public int size() {
        return clients.size();
      }
    };
  }

  /**
   * The client needs a server. It gets one through {@link PooledServer#dispatch}, or an error
   * through {@link Borrower#failWaiting}; either comes later, on another task.
   */
  public void acquire(Borrower c) {
    lender.acquire(c);
  }

  /**
   * A replication client logged in: a server of its own is opened, now if the pool has room (or
   * can make it by closing an idle server), else when it has. The client's login ends when that
   * server has logged in, or fails with its error.
   */
  public void acquireReplication(PoolClient c) {
    lender.acquireReplication(c);
  }

  /**
   * A replication server logged in: it is active, its client's, from now until it closes. False
   * when it is being closed meanwhile.
   */
  public boolean replicationLinked(PooledServer s) {
    return lender.replicationLinked(s);
  }

  /** A server that was taken for a client that has gone: back to the front of the line. */
  public void requeue(Borrower c) {
    lender.requeue(c);
  }

  /**
   * The server is clean, idle and ready for any client: it goes to a waiting client (see {@link
   * WaitingLine#nextWaiter}), or to the top of the idle stack. Called on the server's event loop;
   * the link to a waiting client is made later, as a task on that loop.
   */
  public void release(PooledServer s) {
    lender.release(s);
  }

  /**
   * {@link #release}, called as the last thing a server's read does: the server is linked to the
   * waiting client it goes to at once, on this loop, rather than by a task queued on it (the link
   * is made on the server's loop either way). Not for other callers: linking may release the
   * server again (a client still logging in takes only the server's parameters), and only here is
   * nothing of the server's own read left to run after it.
   */
  public void releaseAfterRead(PooledServer s) {
    lender.releaseAfterRead(s);
  }

  /**
   * Called by a server on its loop: it runs Breakwater's own queries (connect_query after login,
   * ROLLBACK or the reset after a client) before it comes back.
   */
  public void testing(PooledServer s) {
    lender.testing(s);
  }

  // ---- Operator verbs (see dev.breakwater.server.Control) ----

  /** Servers made before the last {@link #reconnect} are closed once released. */
  public int generation() {
    return lender.generation();
  }

  /**
   * RECONNECT, or a reload that moved the database or changed the server-side TLS settings: every
   * server is replaced as it is released, and a remembered login error, which came from the old
   * way of reaching the server, no longer makes clients fail fast.
   */
  public void reconnect() {
    lender.reconnect();
  }

  /** PAUSE: no server is lent; each one closes once released. */
  public void pause() {
    lender.pause();
  }

  /**
   * SHUTDOWN WAIT_FOR_SERVERS: as PAUSE, and a client that waits for a server, or asks for one
   * later, is closed with {@code error} rather than kept waiting for a server that will not come.
   * Clients that hold a server keep it until they release it.
   */
  public void shutDown(ErrorFields error) {
    lender.shutDown(error);
  }

  /** RESUME: clients that waited get servers again. */
  public void resume() {
    lender.resume();
  }

  public boolean isPaused() {
    return lender.isPaused();
  }

  /** True when no server of this pool is open. */
  public boolean hasNoServers() {
    return lender.hasNoServers();
  }

  /** True when no server of this pool is older than the last reconnect. */
  public boolean hasNoOldServers() {
    return lender.hasNoOldServers();
  }

  /**
   * KILL or shutdown: closes every client of this pool (the future completes once they are
   * closed) and every server, now.
   */
  public CompletableFuture<Void> kill(ErrorFields error, CloseReason reason) {
    List<CompletableFuture<Void>> closed = new ArrayList<>();
    for (PoolClient c : clients) {
      closed.add(c.closeWithError(error, reason));
    }
    for (PooledServer s : servers()) {
      s.close(reason);
    }
    return CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new));
  }

  /** Closes one idle server to make room for another pool; true when one was closed. */
  public boolean evictIdle() {
    return lender.evictIdle();
  }

  /** Closes every idle server, for RECONNECT or shutdown; busy ones close when released. */
  public void closeIdle(CloseReason reason) {
    lender.closeIdle(reason);
  }

  // ---- Servers logging in and closing ----

  /**
   * The host a new server connects to: the next in turn (load_balance_hosts = round-robin), or the
   * first that has not just failed (disable); one of a single-host entry.
   */
  public String nextServerHost() {
    return lender.nextServerHost();
  }

  /** A server logged in: its error history is cleared. */
  public void onServerLoggedIn(PooledServer s) {
    lender.onServerLoggedIn(s);
  }

  /** The server has closed, for whatever reason: forget it, and open another if clients wait. */
  public void onServerClosed(PooledServer s, CloseReason reason, ErrorFields error) {
    lender.onServerClosed(s, reason, error);
  }

  // ---- Time-driven work, called by the janitor ----

  /**
   * Expires clients that waited longer than query_wait_timeout, opens the reserve pool for clients
   * that waited longer than reserve_pool_timeout, keeps min_pool_size, closes servers idle longer
   * than server_idle_timeout or older than server_lifetime, and applies the {@link Timeouts}.
   */
  public void maintain(long now) {
    lender.maintain(now);
  }

  public boolean hasWaiters() {
    return lender.hasWaiters();
  }

  // ---- Views ----

  /** A consistent snapshot of the counts, from the lists, for stats, health and SHOW POOLS. */
  public record Snapshot(
      int clients, int waiting, long maxWaitNanos, int servers, int idle, int active, int login, int tested) {}

  public Snapshot snapshot() {
    return lender.snapshot(clients.size());
  }

  /** Every open server of this pool, closing ones included: a copy. */
  public List<PooledServer> servers() {
    return lender.servers();
  }

  /**
   * {@link #servers} as the class they are, for views that read more of a server than the pool
   * knows. Every server of a pool is of the class its {@link ServerLauncher} makes ({@code
   * ServerConnection}); another {@code type} fails with a ClassCastException.
   */
  public <S extends PooledServer> List<S> servers(Class<S> type) {
    List<PooledServer> all = servers();
    List<S> out = new ArrayList<>(all.size());
    for (PooledServer s : all) {
      out.add(type.cast(s));
    }
    return out;
  }

  @Override
  public String toString() {
    return "pool " + key;
  }
}
