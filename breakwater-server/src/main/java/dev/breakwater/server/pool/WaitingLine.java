package dev.breakwater.server.pool;

import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * The clients waiting in a pool for a server, first come, first served, and apart from them the
 * replication clients waiting for room to open a server of their own. Guarded by the pool's lock:
 * every method is called holding it.
 */
final class WaitingLine {

  /** How far down the line a released server looks for a client on its own loop. */
  private static final int WAITER_LOOKAHEAD = 8;
  /** How much longer than that client the first in line may have waited for it still to go first. */
  private static final long WAITER_SKEW_NANOS = 1_000_000L;

  /** Waiting for a pooled server. */
  private final ArrayDeque<Borrower> pooled = new ArrayDeque<>();
  /**
   * Replication clients waiting for room to open their own server: never given a pooled one, nor
   * a pooled client theirs. Each server opened for one counts against the pool's size and the
   * database and user limits as any other, as in PgBouncer; when the pool is full, an idle server
   * is closed to make room (PgBouncer's eviction), else the client waits for one to close.
   */
  private final ArrayDeque<PoolClient> replication = new ArrayDeque<>();

  /** At the end of the line. */
  void add(Borrower b) {
    pooled.add(b);
  }

  /** At the front of the line: the server it was given went before it could use it. */
  void addFirst(Borrower b) {
    pooled.addFirst(b);
  }

  void addReplication(PoolClient c) {
    replication.add(c);
  }

  /** Out of either line (the client has gone). */
  void remove(Borrower b) {
    pooled.remove(b);
    replication.remove(b);
  }

  /** No one waits for a pooled server (replication clients aside). */
  boolean isEmpty() {
    return pooled.isEmpty();
  }

  /** How many wait for a pooled server. */
  int size() {
    return pooled.size();
  }

  /** True when anyone waits, for a pooled server or for room. */
  boolean anyone() {
    return !pooled.isEmpty() || !replication.isEmpty();
  }

  /** True when a replication client waits for room. */
  boolean hasReplication() {
    return !replication.isEmpty();
  }

  /** How many wait, replication clients included. */
  int total() {
    return pooled.size() + replication.size();
  }

  /** The first in line, left there; null when none waits. */
  Borrower first() {
    return pooled.peekFirst();
  }

  /** The longest anyone has waited at {@code now}; 0 when none waits. */
  long maxWait(long now) {
    long maxWait = 0;
    Borrower oldest = pooled.peek();
    if (oldest != null) {
      maxWait = now - oldest.waitStartedNanos();
    }
    PoolClient oldestReplication = replication.peek();
    if (oldestReplication != null) {
      maxWait = Math.max(maxWait, now - oldestReplication.waitStartedNanos());
    }
    return maxWait;
  }

  /**
   * The client a server released on {@code loop} goes to ({@link #nextWaiter}), skipping those that
   * have gone; null when none waits.
   */
  Borrower next(EventLoop loop) {
    Borrower b;
    while ((b = nextWaiter(pooled, loop)) != null) {
      if (!b.isClosed()) {
        return b;
      }
    }
    return null;
  }

  /** The waiters no server on its way is meant for: see {@link #uncovered(ArrayDeque, int)}. */
  Iterator<Borrower> uncovered(int covered) {
    return uncovered(pooled, covered);
  }

  /** The replication clients waiting, first come first; the iterator removes. */
  Iterator<PoolClient> replicationClients() {
    return replication.iterator();
  }

  /** Takes every waiter out of the line (replication clients aside). */
  List<Borrower> takeAll() {
    List<Borrower> all = new ArrayList<>(pooled);
    pooled.clear();
    return all;
  }

  /** Takes out of the line those that have waited {@code nanos} or longer at {@code now}. */
  List<Borrower> takeWaitedFor(long now, long nanos) {
    List<Borrower> taken = new ArrayList<>();
    for (Iterator<Borrower> it = pooled.iterator(); it.hasNext(); ) {
      Borrower b = it.next();
      if (now - b.waitStartedNanos() >= nanos) {
        it.remove();
        taken.add(b);
      }
    }
    return taken;
  }

  /**
   * Drops the replication clients that have gone and takes out those that waited longer than
   * {@code limit}, into {@code into} (made when null and needed).
   */
  List<Borrower> expireReplication(long now, long limit, List<Borrower> into) {
    return expire(replication.iterator(), now, limit, into);
  }

  /** As {@link #expireReplication}, for the clients waiting for a pooled server. */
  List<Borrower> expire(long now, long limit, List<Borrower> into) {
    return expire(pooled.iterator(), now, limit, into);
  }

  private static List<Borrower> expire(
      Iterator<? extends Borrower> it, long now, long limit, List<Borrower> into) {
    while (it.hasNext()) {
      Borrower b = it.next();
      if (b.isClosed()) {
        it.remove();
      } else if (now - b.waitStartedNanos() > limit) {
        it.remove();
        if (into == null) {
          into = new ArrayList<>();
        }
        into.add(b);
      }
    }
    return into;
  }

  /** query_wait_notify: tells those that waited longer than {@code after} (once per wait). */
  void notifyLong(long now, long after, String database) {
    for (Borrower b : pooled) {
      if (now - b.waitStartedNanos() > after) {
        b.waitingLong(database);
      }
    }
  }

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
}
