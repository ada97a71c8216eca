package dev.breakwater.server.admin;

import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import java.util.HashSet;
import java.util.Set;

/**
 * SHOW LISTS: counts of databases, users, pools, clients and servers, one per row. Breakwater keeps
 * no free lists and no DNS cache of its own: those rows are 0.
 */
final class ShowLists implements View {

  @Override
  public Result show(Observed o) {
    int pools = 0;
    int servers = 0;
    int pooledClients = 0;
    int loginClients = 0;
    Set<String> users = new HashSet<>(o.settings().users().keySet());
    for (Pool p : o.pools()) {
      pools++;
      servers += p.servers().size();
      users.add(p.key().user());
      for (ClientConnection c : p.clients(ClientConnection.class)) {
        if (c.isLoggingIn()) {
          loginClients++;
        } else {
          pooledClients++;
        }
      }
    }
    int clients = o.breakwater().frontend().clientCount();
    // Clients that have not chosen a pool yet are logging in too.
    loginClients = Math.max(loginClients, clients - pooledClients - o.consoleClients().get().size());
    return Result.of("list", ColumnType.TEXT, "items", ColumnType.INT4)
        .row("databases", ShowDatabases.databases(o).size())
        .row("users", users.size())
        .row("peers", o.settings().peers().size())
        .row("pools", pools)
        .row("peer_pools", o.breakwater().frontend().peerCancels().snapshot().size())
        .row("free_clients", 0)
        .row("used_clients", clients)
        .row("login_clients", Math.max(0, loginClients))
        .row("free_servers", 0)
        .row("used_servers", servers)
        .row("dns_names", 0)
        .row("dns_zones", 0)
        .row("dns_queries", 0)
        .row("dns_pending", 0);
  }
}
