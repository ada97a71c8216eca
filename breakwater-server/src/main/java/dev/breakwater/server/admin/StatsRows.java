package dev.breakwater.server.admin;

import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.stats.PoolStats;
import dev.breakwater.server.stats.StatsAverages;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the four statistics views share: the pools grouped by database, each database's totals
 * since start and averages over the last {@code stats_period}. Every column is {@code numeric},
 * as in PgBouncer.
 */
final class StatsRows {

  private StatsRows() {}

  /** One database's numbers. */
  record Database(String name, PoolStats.Totals totals, StatsAverages.Averages averages) {}

  static List<Database> byDatabase(Observed o) {
    Map<String, List<Pool>> groups = new LinkedHashMap<>();
    for (Pool p : o.pools()) {
      groups.computeIfAbsent(p.key().database(), k -> new ArrayList<>()).add(p);
    }
    List<Database> out = new ArrayList<>();
    for (Map.Entry<String, List<Pool>> e : groups.entrySet()) {
      out.add(new Database(e.getKey(), totals(e.getValue()), o.observer().averages().of(e.getValue())));
    }
    // The console's own row, as PgBouncer's pgbouncer database has one, in name order.
    PoolStats console = o.observer().console();
    Database row = new Database("pgbouncer", console.totals(), o.observer().averages().ofStats(List.of(console)));
    int at = 0;
    while (at < out.size() && out.get(at).name().compareTo(row.name()) < 0) {
      at++;
    }
    if (at < out.size() && out.get(at).name().equals(row.name())) {
      // A pooled database named pgbouncer cannot be reached (the console takes the name).
      out.set(at, new Database(row.name(), out.get(at).totals().plus(row.totals()), row.averages()));
    } else {
      out.add(at, row);
    }
    return out;
  }

  static PoolStats.Totals totals(List<Pool> pools) {
    PoolStats.Totals t = PoolStats.Totals.ZERO;
    for (Pool p : pools) {
      t = t.plus(p.stats().totals());
    }
    return t;
  }

  /** The total columns' values in SHOW STATS order (after {@code database}). */
  static Object[] totals(PoolStats.Totals t) {
    return new Object[] {
      t.assignments(), t.transactions(), t.queries(), t.received(), t.sent(),
      t.transactionMicros(), t.queryMicros(), t.waitMicros(),
      t.clientParses(), t.serverParses(), t.binds()
    };
  }

  /** Breakwater's own total columns, after PgBouncer's in SHOW STATS and SHOW STATS_TOTALS. */
  static Object[] ownTotals(PoolStats.Totals t) {
    return new Object[] {t.stateChecks()};
  }

  /** The average columns' values in SHOW STATS order. */
  static Object[] averages(StatsAverages.Averages a) {
    return new Object[] {
      a.serverAssignments(), a.transactions(), a.queries(), a.received(), a.sent(),
      a.transactionMicros(), a.queryMicros(), a.waitMicros(),
      a.clientParses(), a.serverParses(), a.binds()
    };
  }

  /** A result with a text column then numeric ones. */
  static Result numericColumns(String first, String... names) {
    Object[] spec = new Object[2 + names.length * 2];
    spec[0] = first;
    spec[1] = ColumnType.TEXT;
    for (int i = 0; i < names.length; i++) {
      spec[2 + i * 2] = names[i];
      spec[3 + i * 2] = ColumnType.NUMERIC;
    }
    return Result.of(spec);
  }

  static Object[] concat(Object first, Object[]... parts) {
    List<Object> all = new ArrayList<>();
    all.add(first);
    for (Object[] p : parts) {
      all.addAll(List.of(p));
    }
    return all.toArray();
  }
}
