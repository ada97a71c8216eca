package dev.breakwater.server.http;

import dev.breakwater.server.admin.Observed;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.stats.PoolMeters;
import dev.breakwater.server.stats.PoolStats;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The dashboard's last 15 minutes, kept in the server so that a page opened now shows them: once a
 * second, each pool's connections, transactions and queries per second and latency percentiles,
 * in a ring of 900 points per series ({@code /api/history}). At most {@value #MAX_POOLS} pools are
 * kept (about 40 KB each); a pool that is gone loses its history. Sampled on one event loop of
 * the HTTP listener; read under this object's monitor.
 */
final class History {

  static final int POINTS = 900;
  static final long INTERVAL_MS = 1000;
  static final int MAX_POOLS = 64;

  /** The series, in the order they are stored and written. */
  static final String[] SERIES = {
    "cl_active", "cl_waiting", "sv_active", "sv_idle", "pool_size", "tps", "qps",
    "wait_p95", "query_p50", "query_p95", "query_p99"
  };

  private static final class Ring {
    final String database;
    final String user;
    final float[][] values = new float[SERIES.length][POINTS];
    final long[] times = new long[POINTS];
    int next;
    int count;
    long lastXacts = -1;
    long lastQueries = -1;
    long lastMillis;

    Ring(String database, String user) {
      this.database = database;
      this.user = user;
    }
  }

  private final Map<Pool, Ring> rings = new LinkedHashMap<>();

  /** Takes one sample of every pool now. */
  synchronized void sample(Observed o) {
    long millis = System.currentTimeMillis();
    java.util.Set<Pool> present = new java.util.HashSet<>();
    for (Pool p : o.pools()) {
      present.add(p);
      Ring r = rings.get(p);
      if (r == null) {
        if (rings.size() >= MAX_POOLS) {
          continue;
        }
        r = new Ring(p.key().database(), p.key().user());
        rings.put(p, r);
      }
      PoolMeters m = o.observer().metrics().of(p);
      PoolMeters.Counts c = m.counts();
      PoolStats.Totals t = p.stats().totals();
      double seconds = (millis - r.lastMillis) / 1000.0;
      float tps = r.lastXacts < 0 || seconds <= 0 ? Float.NaN : (float) Math.max(0, (t.transactions() - r.lastXacts) / seconds);
      float qps = r.lastQueries < 0 || seconds <= 0 ? Float.NaN : (float) Math.max(0, (t.queries() - r.lastQueries) / seconds);
      r.lastXacts = t.transactions();
      r.lastQueries = t.queries();
      r.lastMillis = millis;
      int size = p.settings().poolSize();
      double[] wait = m.waitWindow().percentilesMillis(0.95);
      double[] query = m.queryWindow().percentilesMillis(0.5, 0.95, 0.99);
      float[] v = {
        c.clientsActive(), c.clientsWaiting(), c.serversActive(), c.serversIdle(),
        size == Integer.MAX_VALUE ? Float.NaN : size, tps, qps,
        (float) wait[0], (float) query[0], (float) query[1], (float) query[2]
      };
      for (int s = 0; s < SERIES.length; s++) {
        r.values[s][r.next] = v[s];
      }
      r.times[r.next] = millis;
      r.next = (r.next + 1) % POINTS;
      r.count = Math.min(POINTS, r.count + 1);
    }
    rings.keySet().retainAll(present);
  }

  /** {@code /api/history}: per pool, every series oldest first; null where there was no value. */
  synchronized String json() {
    Json json = new Json().beginObject();
    json.field("interval_ms", INTERVAL_MS);
    json.field("points", POINTS);
    json.name("pools").beginArray();
    for (Ring r : rings.values()) {
      int first = (r.next - r.count + POINTS) % POINTS;
      json.beginObject().field("database", r.database).field("user", r.user);
      json.name("time").beginArray();
      for (int i = 0; i < r.count; i++) {
        json.value(r.times[(first + i) % POINTS]);
      }
      json.endArray();
      for (int s = 0; s < SERIES.length; s++) {
        json.name(SERIES[s]).beginArray();
        for (int i = 0; i < r.count; i++) {
          float f = r.values[s][(first + i) % POINTS];
          if (Float.isNaN(f)) {
            json.nullValue();
          } else {
            json.value((double) f);
          }
        }
        json.endArray();
      }
      json.endObject();
    }
    json.endArray();
    json.endObject();
    return json.toString();
  }
}
