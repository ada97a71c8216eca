package dev.breakwater.server;

import dev.breakwater.server.Control.ShutdownMode;
import dev.breakwater.server.config.ConfigException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * PgBouncer's signals: SIGHUP reloads; SIGTERM stops accepting and lets every client finish its
 * transaction, then exits (SHUTDOWN WAIT_FOR_CLIENTS); SIGINT waits only for servers to be
 * released (WAIT_FOR_SERVERS); a second SIGTERM or SIGINT exits at once, and so does one that
 * comes while a SHUTDOWN WAIT_FOR_CLIENTS or WAIT_FOR_SERVERS from the console is under way.
 */
final class Signals {

  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Breakwater target;
  private boolean reloadPending;
  private ShutdownMode stopPending;
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final AtomicBoolean immediate = new AtomicBoolean();

  /**
   * Installs the handlers before anything listens, so that a signal sent while Breakwater starts
   * is not the JVM's default (which exits at once on SIGHUP): it is acted on once it runs.
   */
  static Signals install() {
    Signals s = new Signals();
    Signal.handle(new Signal("HUP"), sig -> s.reload());
    Signal.handle(new Signal("TERM"), sig -> s.stop(ShutdownMode.WAIT_FOR_CLIENTS));
    Signal.handle(new Signal("INT"), sig -> s.stop(ShutdownMode.WAIT_FOR_SERVERS));
    return s;
  }

  /** Hands signals to a running Breakwater and waits until it stops; returns the exit code. */
  int await(Breakwater b) throws InterruptedException {
    boolean reload;
    ShutdownMode stop;
    synchronized (this) {
      target = b;
      reload = reloadPending;
      stop = stopPending;
    }
    if (stop != null) {
      stop(b, stop);
    } else if (reload) {
      reload(b);
    }
    try {
      b.stopped().get();
    } catch (ExecutionException e) {
      log.error("stopped with an error", e.getCause());
    }
    return immediate.get() ? Main.EXIT_IMMEDIATE : Main.EXIT_OK;
  }

  private void reload() {
    Breakwater b;
    synchronized (this) {
      b = target;
      if (b == null) {
        log.info("SIGHUP while starting: reloading once started");
        reloadPending = true;
        return;
      }
    }
    reload(b);
  }

  private static void reload(Breakwater b) {
    try {
      b.reload();
    } catch (ConfigException e) {
      // logged by reload; the running configuration stays
    }
  }

  private void stop(ShutdownMode mode) {
    Breakwater b;
    synchronized (this) {
      b = target;
      if (b == null) {
        if (stopPending != null) {
          // A second signal means at once, as it does later: a startup that hangs can be stopped.
          log.info("second signal while starting: exiting at once");
          immediate.set(true);
          new Thread(() -> System.exit(Main.EXIT_IMMEDIATE), "breakwater-exit").start();
          return;
        }
        log.info("{} while starting: stopping once started", mode == ShutdownMode.WAIT_FOR_CLIENTS ? "SIGTERM" : "SIGINT");
        stopPending = mode;
        return;
      }
    }
    stop(b, mode);
  }

  private void stop(Breakwater b, ShutdownMode mode) {
    // A SHUTDOWN that waits, begun on the console, counts as the first signal, as in PgBouncer.
    if (stopping.compareAndSet(false, true) && !b.isShuttingDown()) {
      log.info("{}: stopping once clients are done; signal again to stop at once",
          mode == ShutdownMode.WAIT_FOR_CLIENTS ? "SIGTERM" : "SIGINT");
      b.shutdown(mode);
    } else {
      log.info("second signal: stopping at once");
      immediate.set(true);
      b.shutdown(ShutdownMode.IMMEDIATE);
    }
  }

  private Signals() {}
}
