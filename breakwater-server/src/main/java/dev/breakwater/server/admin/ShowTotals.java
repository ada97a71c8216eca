package dev.breakwater.server.admin;

import dev.breakwater.server.stats.PoolStats;
import dev.breakwater.server.stats.StatsAverages;

/** SHOW TOTALS: SHOW STATS summed over every database, as name and value rows. */
final class ShowTotals implements View {

  static final String[] NAMES = {
    "total_server_assignment_count", "total_xact_count", "total_query_count",
    "total_client_bytes", "total_server_bytes", "total_xact_time", "total_query_time",
    "total_wait_time", "total_ps_client_parse_count", "total_ps_server_parse_count",
    "total_ps_bind_count",
    "avg_server_assignment_count", "avg_xact_count", "avg_query_count",
    "avg_client_bytes", "avg_server_bytes", "avg_xact_time", "avg_query_time", "avg_wait_time",
    "avg_ps_client_parse_count", "avg_ps_server_parse_count", "avg_ps_bind_count"
  };

  @Override
  public Result show(Observed o) {
    PoolStats.Totals t = StatsRows.totals(o.pools()).plus(o.observer().console().totals());
    java.util.List<PoolStats> all = StatsAverages.statsOf(o.pools());
    all.add(o.observer().console());
    StatsAverages.Averages a = o.observer().averages().ofStats(all);
    Object[] values = StatsRows.concat(null, StatsRows.totals(t), StatsRows.averages(a));
    Result r = Result.of("name", ColumnType.TEXT, "value", ColumnType.NUMERIC);
    for (int i = 0; i < NAMES.length; i++) {
      r.row(NAMES[i], values[i + 1]);
    }
    return r;
  }
}
