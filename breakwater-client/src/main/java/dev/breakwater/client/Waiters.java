package dev.breakwater.client;

import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The callers blocked in {@code getConnection()}, so that a connect failure retrying cannot fix
 * wakes them at once instead of letting each wait out the full connection timeout.
 *
 * <p>HikariCP waits for a connection in a blocking poll that only a new connection or an interrupt
 * ends, so waking means interrupting. The hazard is an interrupt that lands after the caller has
 * stopped waiting; each ticket's monitor makes that impossible: {@link #wakeAll} interrupts only
 * tickets not yet {@linkplain #leave left}, and {@link #leave} clears the interrupt it caused.
 */
final class Waiters {

  static final class Ticket {
    private final Thread thread = Thread.currentThread();
    private final boolean interruptedBefore = thread.isInterrupted();
    private boolean done;
    private SQLException wokenBy;
  }

  private final Set<Ticket> tickets = ConcurrentHashMap.newKeySet();

  Ticket enter() {
    Ticket t = new Ticket();
    tickets.add(t);
    return t;
  }

  /** Ends the wait; returns the error that woke this caller, or null. */
  SQLException leave(Ticket t) {
    tickets.remove(t);
    synchronized (t) {
      t.done = true;
      if (t.wokenBy != null && !t.interruptedBefore) {
        Thread.interrupted();
      }
      return t.wokenBy;
    }
  }

  void wakeAll(SQLException cause) {
    for (Ticket t : tickets) {
      synchronized (t) {
        if (!t.done && t.wokenBy == null) {
          t.wokenBy = cause;
          t.thread.interrupt();
        }
      }
    }
  }
}
