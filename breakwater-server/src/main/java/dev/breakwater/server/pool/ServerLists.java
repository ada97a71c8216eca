package dev.breakwater.server.pool;

import dev.breakwater.server.CloseReason;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A pool's servers, each on the list of its state as in PgBouncer (login, idle, active, tested),
 * and {@link #move}, the one function that moves a server between them (PgBouncer's
 * change_server_state). SHOW POOLS and the metrics count these lists. Guarded by the pool's lock:
 * every method is called holding it.
 */
final class ServerLists {

  /** How long a server running connect_query or the reset query counts as on its way. */
  static final long TESTED_COVERS_NANOS = 1_000_000_000L;
  /** How far down the idle stack a server on a client's own loop is looked for. */
  private static final int IDLE_LOOKAHEAD = 64;

  /**
   * Every open server of the pool, whatever its state; each is also on exactly one of the lists
   * below, the one of its state, or on none while it is being closed.
   */
  private final Set<PooledServer> all = new LinkedHashSet<>();
  /** Connecting and logging in. */
  private final Set<PooledServer> login = new LinkedHashSet<>();
  /** Idle servers, most recently used first. */
  private final ArrayDeque<PooledServer> idle = new ArrayDeque<>();
  /** Lent to a client (or running a query of Breakwater's for one). */
  private final Set<PooledServer> active = new LinkedHashSet<>();
  /** Running Breakwater's own queries on their way back: connect_query, ROLLBACK, the reset. */
  private final Set<PooledServer> tested = new LinkedHashSet<>();

  /** A new server, not yet connecting: it starts on the login list. */
  void add(PooledServer s) {
    all.add(s);
    login.add(s);
  }

  /** Forgets a server that has closed; false when it was not one of these. */
  boolean remove(PooledServer s) {
    if (!all.remove(s)) {
      return false;
    }
    unlist(s);
    return true;
  }

  boolean contains(PooledServer s) {
    return all.contains(s);
  }

  /** Every open server, closing ones included. */
  int size() {
    return all.size();
  }

  boolean isEmpty() {
    return all.isEmpty();
  }

  int login() {
    return login.size();
  }

  int idle() {
    return idle.size();
  }

  int active() {
    return active.size();
  }

  int tested() {
    return tested.size();
  }

  /** Servers on no list: being closed. */
  int closing() {
    return all.size() - (login.size() + idle.size() + active.size() + tested.size());
  }

  /**
   * Moves a server of the pool to the list of state {@code to}, and sets its state: the only
   * place, besides closing, where a pooled server's state changes. A closed server is only taken
   * off its list.
   */
  void move(PooledServer s, ServerState to) {
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
  void unlist(PooledServer s) {
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

  /**
   * The idle server a borrower on {@code preferred} gets: among the most recently used, one on that
   * loop, else the most recently used; null when none is idle. It stays on the idle list: the
   * caller moves it.
   */
  PooledServer pickIdle(EventLoop preferred) {
    int looked = 0;
    for (PooledServer s : idle) {
      if (s.eventLoop() == preferred) {
        return s;
      }
      if (++looked >= IDLE_LOOKAHEAD) {
        break;
      }
    }
    return idle.peekFirst();
  }

  /** Takes the least recently used idle server off its list to close it; null when none is idle. */
  PooledServer takeOldestIdle(CloseReason reason) {
    PooledServer victim = idle.pollLast();
    if (victim != null) {
      victim.markClosing(reason);
    }
    return victim;
  }

  /** Takes every idle server off its list to close it. */
  List<PooledServer> takeAllIdle(CloseReason reason) {
    List<PooledServer> victims = new ArrayList<>(idle);
    idle.clear();
    for (PooledServer s : victims) {
      s.markClosing(reason);
    }
    return victims;
  }

  /**
   * Idle servers older than server_lifetime, or idle longer than server_idle_timeout while more
   * than min_pool_size are open: taken off the idle list to close, the oldest first, into {@code
   * into} (made when null and needed).
   */
  List<PooledServer> takeStale(long now, PoolSettings cfg, List<PooledServer> into) {
    long idleLimit = cfg.serverIdleTimeout().toNanos();
    long lifetime = cfg.serverLifetime().toNanos();
    int remaining = all.size();
    for (Iterator<PooledServer> it = idle.descendingIterator(); it.hasNext(); ) {
      PooledServer s = it.next();
      boolean tooOld = lifetime > 0 && now - s.createdNanos() > lifetime;
      boolean idleTooLong = idleLimit > 0 && now - s.idleSinceNanos() > idleLimit;
      if (tooOld || (idleTooLong && remaining > cfg.minPoolSize())) {
        it.remove(); // off the idle list: closing
        remaining--;
        if (into == null) {
          into = new ArrayList<>();
        }
        into.add(s);
        s.markClosing(tooOld ? CloseReason.SERVER_LIFETIME : CloseReason.SERVER_IDLE_TIMEOUT);
      }
    }
    return into;
  }

  /**
   * RECONNECT for replication servers made before {@code generation}: a replication stream has no
   * end to wait for (PgBouncer closes it too). Marked closing, into {@code into} (made when null
   * and needed).
   */
  List<PooledServer> markOldReplication(int generation, List<PooledServer> into) {
    for (PooledServer s : active) {
      if (s.isReplication() && s.generation() != generation && s.closingReason() == null) {
        if (into == null) {
          into = new ArrayList<>();
        }
        into.add(s);
        s.markClosing(CloseReason.RECONNECT);
      }
    }
    return into;
  }

  /**
   * Servers on their way to a waiting client: logging in (a replication client's server comes for
   * that client only), or running connect_query or the reset query before they come back. Each
   * covers a waiter, as PgBouncer counts its tested servers; one whose query has run for {@link
   * #TESTED_COVERS_NANOS} is not about to come back (these queries have no timeout of their own).
   */
  int coming(long now) {
    int coming = 0;
    for (PooledServer s : login) {
      if (!s.isReplication()) {
        coming++;
      }
    }
    for (PooledServer s : tested) {
      if (now - s.testedSinceNanos() < TESTED_COVERS_NANOS) {
        coming++;
      }
    }
    return coming;
  }

  /** True when every server was made in {@code generation}. */
  boolean allOf(int generation) {
    for (PooledServer s : all) {
      if (s.generation() != generation) {
        return false;
      }
    }
    return true;
  }

  List<PooledServer> copyAll() {
    return new ArrayList<>(all);
  }

  List<PooledServer> copyActive() {
    return new ArrayList<>(active);
  }
}
