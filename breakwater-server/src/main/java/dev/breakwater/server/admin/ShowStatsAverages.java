package dev.breakwater.server.admin;

/**
 * SHOW STATS_AVERAGES: the averages of SHOW STATS, under PgBouncer's names for this view (the
 * prepared statement columns keep their {@code avg_} prefix there).
 */
final class ShowStatsAverages implements View {

  static final String[] COLUMNS = {
    "server_assignment_count", "xact_count", "query_count", "bytes_received", "bytes_sent",
    "xact_time", "query_time", "wait_time", "avg_client_parse_count", "avg_server_parse_count",
    "avg_bind_count"
  };

  @Override
  public Result show(Observed o) {
    Result r = StatsRows.numericColumns("database", COLUMNS);
    for (StatsRows.Database d : StatsRows.byDatabase(o)) {
      r.row(StatsRows.concat(d.name(), StatsRows.averages(d.averages())));
    }
    return r;
  }
}
