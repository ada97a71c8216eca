package dev.breakwater.server.admin;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.pool.Pool;
import java.util.Comparator;
import java.util.List;

/** SHOW SERVERS: every open server connection, pool by pool, in the order they were made. */
final class ShowServers implements View {

  @Override
  public Result show(Observed o) {
    Result r = Sockets.header();
    for (Pool p : o.pools()) {
      List<ServerConnection> servers = p.servers(ServerConnection.class);
      servers.sort(Comparator.comparingLong(ServerConnection::id));
      for (ServerConnection s : servers) {
        String state = Sockets.serverState(s);
        if (state != null) {
          Sockets.server(r, s, state);
        }
      }
    }
    return r;
  }
}
