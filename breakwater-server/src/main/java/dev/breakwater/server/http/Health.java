package dev.breakwater.server.http;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.admin.Observed;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.stats.Alerts;
import dev.breakwater.server.stats.PoolMeters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code /health}: the seed's document ({@code status} and {@code pool} with total, idle and
 * waiting, summed over pools) with one entry per pool and the active alerts. Unhealthy (503) while
 * Breakwater shuts down, or when a pool's last attempt to reach its database failed recently (within
 * the connection-errors alert's quiet time) and none has succeeded since.
 */
final class Health {

  private Health() {}

  /** The status code and the document. */
  record Answer(int status, String json) {}

  static Answer evaluate(Observed o) {
    long now = System.nanoTime();
    Duration recent = o.observer().alerts().settings().errorsQuietFor();
    List<String> reasons = new ArrayList<>();
    if (!o.breakwater().frontend().acceptingClients()) {
      reasons.add("pooler is shutting down");
    }
    int total = 0;
    int idle = 0;
    int waiting = 0;
    int active = 0;
    long max = 0;
    boolean unlimited = false;
    Json pools = new Json().beginArray();
    for (Pool p : o.pools()) {
      PoolMeters.Counts c = PoolMeters.count(p);
      int size = p.settings().poolSize();
      total += c.servers();
      idle += c.serversIdle();
      active += c.serversActive();
      waiting += c.clientsWaiting();
      if (size == Integer.MAX_VALUE) {
        unlimited = true;
      } else {
        max += size;
      }
      ErrorFields error = p.lastServerError();
      boolean unreachable = error != null && now - p.lastServerErrorNanos() < recent.toNanos();
      if (unreachable) {
        reasons.add("database " + p.key().database() + " cannot be reached (" + p.key() + "): " + error.message());
      }
      pools.beginObject()
          .field("database", p.key().database())
          .field("user", p.key().user())
          .field("status", unreachable ? "unreachable" : p.isPaused() ? "paused" : "ok")
          .field("total", c.servers())
          .field("idle", c.serversIdle())
          .field("active", c.serversActive())
          .field("waiting", c.clientsWaiting())
          .name("max");
      if (size == Integer.MAX_VALUE) {
        pools.nullValue();
      } else {
        pools.value(size);
      }
      if (error != null) {
        pools.field("last_error", error.message());
      }
      pools.endObject();
    }
    pools.endArray();

    Json json = new Json().beginObject();
    json.field("status", reasons.isEmpty() ? "healthy" : "unhealthy");
    if (!reasons.isEmpty()) {
      json.field("reason", String.join("; ", reasons));
    }
    json.name("pool").beginObject()
        .field("total", total)
        .field("idle", idle)
        .field("active", active)
        .field("waiting", waiting)
        .name("max");
    if (unlimited) {
      json.nullValue();
    } else {
      json.value(max);
    }
    json.endObject();
    json.name("pools").raw(pools.toString());
    json.name("alerts");
    alerts(json, o.observer().alerts().active());
    json.endObject();
    return new Answer(reasons.isEmpty() ? 200 : 503, json.toString());
  }

  static void alerts(Json json, List<Alerts.Active> active) {
    json.beginArray();
    for (Alerts.Active a : active) {
      json.beginObject()
          .field("alert", a.kind().name())
          .field("database", a.pool().database())
          .field("user", a.pool().user())
          .field("since", a.since().toString())
          .field("message", a.message())
          .field("action", a.kind().action())
          .endObject();
    }
    json.endArray();
  }
}
