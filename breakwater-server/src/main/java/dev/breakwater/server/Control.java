package dev.breakwater.server;

import dev.breakwater.server.config.ConfigException;
import java.util.concurrent.CompletableFuture;

/**
 * What an operator can do to a running Breakwater: the verbs of PgBouncer's admin console, also
 * reached by signals and the HTTP API. A null database means every database.
 */
public interface Control {

  /** How SHUTDOWN waits. */
  enum ShutdownMode {
    /** Close everything now. */
    IMMEDIATE,
    /** Stop accepting clients; exit once no server is in use (SIGINT). */
    WAIT_FOR_SERVERS,
    /** Stop accepting clients; exit once every client has left (SIGTERM). */
    WAIT_FOR_CLIENTS
  }

  /**
   * PAUSE: stop lending servers; transactions in flight finish, then servers are closed. The
   * future completes when no server of these databases is in use.
   */
  CompletableFuture<Void> pause(String database);

  /** RESUME after PAUSE or KILL. */
  void resume(String database);

  /** Whether PAUSE or KILL holds this database (null: every database). */
  boolean isPaused(String database);

  /** RECONNECT: close each server of these databases once it is released, and open fresh ones. */
  void reconnect(String database);

  /**
   * KILL: close every client and server of these databases at once; they stay paused until
   * RESUME. The future completes once the clients are closed (so the next SHOW CLIENTS has them
   * gone, as PgBouncer's does).
   */
  CompletableFuture<Void> kill(String database);

  /**
   * KILL_CLIENT: close one client. Empty when there is none with that id; else a future that
   * completes once the client has been sent its error and closed.
   */
  java.util.Optional<CompletableFuture<Void>> killClient(long clientId);

  /** DISABLE: refuse new clients of this database; those connected carry on. */
  void disable(String database);

  /** ENABLE after DISABLE. */
  void enable(String database);

  /** WAIT_CLOSE: completes when every server of these databases marked for closing is gone. */
  CompletableFuture<Void> waitClose(String database);

  /** RELOAD: re-read the configuration and auth file; an invalid one is rejected whole. */
  void reload() throws ConfigException;

  /** SHUTDOWN; the future completes when Breakwater has stopped. */
  CompletableFuture<Void> shutdown(ShutdownMode mode);

  /** Whether a SHUTDOWN WAIT_FOR_SERVERS or WAIT_FOR_CLIENTS is under way. */
  boolean isShuttingDown();

  /**
   * SUSPEND: stop accepting connections and reading from clients and servers; the future
   * completes once what was on its way to them has been written, and fails with an
   * IllegalStateException when already suspended or paused. RESUME (every database) ends it.
   */
  CompletableFuture<Void> suspend();

  /** Whether SUSPEND holds. */
  boolean isSuspended();


  /**
   * SET key = value, for settings that can change at run time. The result is a notice for the
   * client when the setting was taken but not all of its effect (TLS files that do not yet make a
   * valid configuration).
   */
  java.util.Optional<String> set(String key, String value) throws ConfigException;
}
