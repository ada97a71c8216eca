package dev.breakwater.server.admin;

import dev.breakwater.server.config.General;
import dev.breakwater.server.config.UserEntry;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.frontend.ClientCounts;
import dev.breakwater.server.pool.Pool;
import java.util.TreeSet;

/**
 * SHOW USERS: the users of {@code [users]}, those with pools and those with clients, by name, with
 * their overrides (empty or NULL when not set, as PgBouncer prints them) and connection counts.
 */
final class ShowUsers implements View {

  @Override
  public Result show(Observed o) {
    Result r =
        Result.of(
            "name", ColumnType.TEXT,
            "pool_size", ColumnType.TEXT,
            "reserve_pool_size", ColumnType.TEXT,
            "pool_mode", ColumnType.TEXT,
            "max_user_connections", ColumnType.INT4,
            "current_connections", ColumnType.INT4,
            "max_user_client_connections", ColumnType.INT4,
            "current_client_connections", ColumnType.INT4);
    General g = o.settings().general();
    TreeSet<String> names = new TreeSet<>(o.settings().users().keySet());
    ClientCounts clients = o.breakwater().frontend().clientCounts();
    names.addAll(clients.users());
    for (Pool p : o.pools()) {
      names.add(p.key().user());
      for (ClientConnection c : p.clients(ClientConnection.class)) {
        if (c.user() != null) {
          names.add(c.user());
        }
      }
    }
    for (ClientConnection c : o.consoleClients().get()) {
      if (!c.isClosed() && c.user() != null) {
        names.add(c.user());
      }
    }
    for (String name : names) {
      UserEntry u = o.settings().users().get(name);
      r.row(
          name,
          u != null && u.poolSize() != null ? u.poolSize().toString() : "",
          u != null && u.reservePoolSize() != null ? u.reservePoolSize().toString() : "",
          u != null && u.poolMode() != null ? u.poolMode().configName() : null,
          u != null && u.maxUserConnections() != null && u.maxUserConnections() > 0
              ? u.maxUserConnections()
              : g.maxUserConnections(),
          o.breakwater().pools().serversOfUser(name),
          u != null && u.maxUserClientConnections() != null && u.maxUserClientConnections() > 0
              ? u.maxUserClientConnections()
              : g.maxUserClientConnections(),
          clients.ofUser(name));
    }
    return r;
  }
}
