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
 * released (WAIT_FOR_SERVERS); a second SIGTERM or SIGINT exits at once.
 */
final class Signals {

  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  /** Installs the handlers and waits until Breakwater stops; returns the exit code. */
  static int install(Breakwater b) throws InterruptedException {
    AtomicBoolean stopping = new AtomicBoolean();
    AtomicBoolean immediate = new AtomicBoolean();
    Signal.handle(
        new Signal("HUP"),
        sig -> {
          try {
            b.reload();
          } catch (ConfigException e) {
            // logged by reload; the running configuration stays
          }
        });
    Signal.handle(new Signal("TERM"), sig -> stop(b, ShutdownMode.WAIT_FOR_CLIENTS, stopping, immediate));
    Signal.handle(new Signal("INT"), sig -> stop(b, ShutdownMode.WAIT_FOR_SERVERS, stopping, immediate));
    try {
      b.stopped().get();
    } catch (ExecutionException e) {
      log.error("stopped with an error", e.getCause());
    }
    return immediate.get() ? Main.EXIT_IMMEDIATE : Main.EXIT_OK;
  }

  private static void stop(
      Breakwater b, ShutdownMode mode, AtomicBoolean stopping, AtomicBoolean immediate) {
    if (stopping.compareAndSet(false, true)) {
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
