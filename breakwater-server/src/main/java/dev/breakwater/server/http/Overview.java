package dev.breakwater.server.http;

import dev.breakwater.server.admin.Observed;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.frontend.ClientKind;
import dev.breakwater.server.frontend.ClientState;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.stats.LatencyWindow;
import dev.breakwater.server.stats.PoolMeters;
import dev.breakwater.server.stats.PoolStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * {@code /api/overview}: what the dashboard draws, in one document read once a second. Per pool:
 * connections by state, the pool size, the counters (the page turns them into rates) and
 * percentiles of wait, query and transaction time over the last ten seconds, its clients by kind
 * (tcp, unix, http, ws); the clients waiting longest; the active alerts; the connected clients in
 * all and by kind.
 */
final class Overview {

  private Overview() {}

  private static final int LONGEST_WAITING = 10;

  static String json(Observed o, Health.Answer health) {
    long now = System.nanoTime();
    Json json = new Json().beginObject();
    json.field("time", System.currentTimeMillis());
    json.field("version", dev.breakwater.server.Version.banner());
    json.field("status", health.status() == 200 ? "healthy" : "unhealthy");
    dev.breakwater.server.frontend.Frontend frontend = o.breakwater().frontend();
    json.field("clients", frontend.clientCount());
    json.name("clients_by_kind").beginObject();
    for (ClientKind k : ClientKind.values()) {
      json.field(k.label(), frontend.clientCount(k));
    }
    json.endObject();
    json.field("max_client_conn", o.settings().general().maxClientConn());
    json.name("alerts");
    Health.alerts(json, o.observer().alerts().active());

    record Waiter(ClientConnection c, long nanos) {}
    List<Waiter> waiters = new ArrayList<>();
    json.name("pools").beginArray();
    for (Pool p : o.pools()) {
      PoolMeters m = o.observer().metrics().of(p);
      PoolMeters.Counts c = m.counts();
      PoolStats.Totals t = p.stats().totals();
      int size = p.settings().poolSize();
      json.beginObject()
          .field("database", p.key().database())
          .field("user", p.key().user())
          .field("mode", p.settings().mode().configName())
          .field("paused", p.isPaused())
          .field("unreachable", p.lastServerError() != null)
          .field("cl_active", c.clientsActive())
          .field("cl_idle", c.clientsIdle())
          .field("cl_waiting", c.clientsWaiting())
          .field("sv_active", c.serversActive())
          .field("sv_idle", c.serversIdle())
          .field("sv_login", c.serversLogin())
          .field("sv_tested", c.serversTested())
          .name("pool_size");
      if (size == Integer.MAX_VALUE) {
        json.nullValue();
      } else {
        json.value(size);
      }
      json.field("reserve_pool_size", p.settings().reservePoolSize())
          .field("max_wait_ms", c.maxWaitNanos() / 1e6)
          .field("xacts", t.transactions())
          .field("queries", t.queries())
          .field("received", t.received())
          .field("sent", t.sent());
      percentiles(json, "wait_ms", m.waitWindow());
      percentiles(json, "query_ms", m.queryWindow());
      percentiles(json, "xact_ms", m.transactionWindow());
      int[] kinds = new int[ClientKind.values().length];
      for (ClientConnection cl : p.clients(ClientConnection.class)) {
        kinds[cl.kind().ordinal()]++;
        long started = cl.waitStartedNanos();
        if (cl.state() == ClientState.WAITING && started != 0) {
          waiters.add(new Waiter(cl, Math.max(0, now - started)));
        }
      }
      json.name("clients_by_kind").beginObject();
      for (ClientKind k : ClientKind.values()) {
        json.field(k.label(), kinds[k.ordinal()]);
      }
      json.endObject();
      json.endObject();
    }
    json.endArray();

    waiters.sort(Comparator.comparingLong(Waiter::nanos).reversed());
    json.name("waiting").beginArray();
    for (int i = 0; i < Math.min(LONGEST_WAITING, waiters.size()); i++) {
      Waiter w = waiters.get(i);
      json.beginObject()
          .field("id", w.c().id())
          .field("database", w.c().database())
          .field("user", w.c().user())
          .field("addr", address(w.c().remoteAddress()))
          .field("kind", w.c().kind().label())
          .field("wait_ms", w.nanos() / 1e6)
          .endObject();
    }
    json.endArray();
    json.field("waiting_total", waiters.size());
    json.endObject();
    return json.toString();
  }

  private static String address(java.net.SocketAddress a) {
    if (a instanceof java.net.InetSocketAddress i && i.getAddress() != null) {
      return i.getAddress().getHostAddress() + ":" + i.getPort();
    }
    return String.valueOf(a);
  }

  private static void percentiles(Json json, String name, LatencyWindow w) {
    double[] p = w.percentilesMillis(0.5, 0.95, 0.99);
    json.name(name).beginObject()
        .field("p50", p[0])
        .field("p95", p[1])
        .field("p99", p[2])
        .field("count", w.count())
        .endObject();
  }
}
