package dev.breakwater.server.admin;

import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * SHOW CLIENTS: every logged-in client, pool by pool, then the admin console's own (database
 * {@code pgbouncer}). Clients still logging in are not listed, as in PgBouncer.
 */
final class ShowClients implements View {

  @Override
  public Result show(Observed o) {
    Result r = Sockets.header();
    for (Pool p : o.pools()) {
      List<ClientConnection> clients = new ArrayList<>(p.clients(ClientConnection.class));
      clients.sort(Comparator.comparingLong(ClientConnection::id));
      for (ClientConnection c : clients) {
        String state = Sockets.clientState(c);
        if (state != null) {
          Sockets.client(r, c, p.key().database(), state);
        }
      }
    }
    for (ClientConnection c : o.consoleClients().get()) {
      if (!c.isClosed()) {
        Sockets.client(r, c, "pgbouncer", c.server() == null ? "idle" : "active");
      }
    }
    return r;
  }
}
