package dev.breakwater.server.admin;

/** SHOW STATS: per database, the totals since start, then the averages of the last period. */
final class ShowStats implements View {

  static final String[] COLUMNS = {
    "total_server_assignment_count", "total_xact_count", "total_query_count",
    "total_received", "total_sent", "total_xact_time", "total_query_time", "total_wait_time",
    "total_client_parse_count", "total_server_parse_count", "total_bind_count",
    "avg_server_assignment_count", "avg_xact_count", "avg_query_count",
    "avg_recv", "avg_sent", "avg_xact_time", "avg_query_time", "avg_wait_time",
    "avg_client_parse_count", "avg_server_parse_count", "avg_bind_count",
    "total_state_check_count"
  };

  @Override
  public Result show(Observed o) {
    Result r = StatsRows.numericColumns("database", COLUMNS);
    for (StatsRows.Database d : StatsRows.byDatabase(o)) {
      r.row(StatsRows.concat(d.name(), StatsRows.totals(d.totals()), StatsRows.averages(d.averages()),
          StatsRows.ownTotals(d.totals())));
    }
    return r;
  }
}
