package dev.breakwater.server.stats;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.config.General;
import dev.breakwater.server.frontend.ClientConnection;
import java.util.Locale;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lines of {@code log_connections} and {@code log_disconnections}, as PgBouncer writes them:
 * one when a client or server connection logs in, one when it closes with the reason and its age.
 * Each names the connection as every line about it does ({@code C-12 db/user@address},
 * {@code S-7 user@host:port/db}). Both settings are read at each event, so SET and RELOAD apply
 * at once.
 */
final class ConnectionLog implements ConnectionEvents {

  private static final Logger log = LoggerFactory.getLogger(ConnectionLog.class);

  private final Supplier<General> settings;

  ConnectionLog(Supplier<General> settings) {
    this.settings = settings;
  }

  @Override
  public void clientLoggedIn(ClientConnection c) {
    if (settings.get().logConnections()) {
      String where =
          c.pool() == null
              ? "admin console"
              : c.replication() != dev.breakwater.server.backend.ReplicationMode.NONE
                  ? c.replication().showName() + " replication, a server of its own"
                  : c.pool().settings().mode().configName() + " pool";
      log.info("{}: login ok ({})", c, where);
    }
  }

  @Override
  public void clientClosed(ClientConnection c, CloseReason reason, boolean duringLogin) {
    if (settings.get().logDisconnections()) {
      log.info("{}: closing because: {}{} (age={})", c, reason.description(),
          duringLogin ? " during login" : "", age(c.connectedNanos()));
    }
  }

  @Override
  public void serverLoggedIn(ServerConnection s) {
    if (settings.get().logConnections()) {
      log.info("{}: new {}server connection logged in (backend pid {})", s,
          s.isReplication() ? s.replication().showName() + " replication " : "", s.backendPid());
    }
  }

  @Override
  public void serverClosed(ServerConnection s, CloseReason reason, ErrorFields error) {
    if (settings.get().logDisconnections()) {
      log.info("{}: closing because: {}{} (age={})", s, reason.description(),
          error != null ? ": " + error.message() : "", age(s.createdNanos()));
    }
  }

  static String age(long sinceNanos) {
    double s = (System.nanoTime() - sinceNanos) / 1e9;
    return s < 10 ? String.format(Locale.ROOT, "%.1fs", s) : String.format(Locale.ROOT, "%.0fs", s);
  }
}
