package dev.breakwater.server.admin;

/** SHOW STATS_TOTALS: the totals of SHOW STATS, named without the {@code total_} prefix. */
final class ShowStatsTotals implements View {

  static final String[] COLUMNS = {
    "server_assignment_count", "xact_count", "query_count", "bytes_received", "bytes_sent",
    "xact_time", "query_time", "wait_time", "client_parse_count", "server_parse_count",
    "bind_count", "state_check_count"
  };

  @Override
  public Result show(Observed o) {
    Result r = StatsRows.numericColumns("database", COLUMNS);
    for (StatsRows.Database d : StatsRows.byDatabase(o)) {
      r.row(StatsRows.concat(d.name(), StatsRows.totals(d.totals()), StatsRows.ownTotals(d.totals())));
    }
    return r;
  }
}
