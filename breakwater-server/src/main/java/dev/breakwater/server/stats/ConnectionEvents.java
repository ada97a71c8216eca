package dev.breakwater.server.stats;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.frontend.ClientConnection;

/**
 * What the frontend and backend tell the metrics layer about connections coming and going: logins
 * by result, closes by reason. Called on event loops, so implementations only count. The default
 * methods do nothing; {@link #NONE} is the listener until one is set.
 */
public interface ConnectionEvents {

  ConnectionEvents NONE = new ConnectionEvents() {};

  /** A client logged in (to a pool or to the admin console). */
  default void clientLoggedIn(ClientConnection c) {}

  /** A client closed; {@code duringLogin} when it never finished logging in. */
  default void clientClosed(ClientConnection c, CloseReason reason, boolean duringLogin) {}

  /** A server connection logged in. */
  default void serverLoggedIn(ServerConnection s) {}

  /** A server connection closed; {@code error} is set when it could not connect or log in. */
  default void serverClosed(ServerConnection s, CloseReason reason, ErrorFields error) {}
}
