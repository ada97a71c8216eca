package dev.breakwater.server.admin;

/**
 * SHOW DNS_HOSTS and SHOW DNS_ZONES: PgBouncer's own DNS cache. Breakwater resolves names through
 * Netty's resolver, whose cache it does not list: PgBouncer's columns, no rows.
 */
final class ShowDns implements View {

  private final boolean zones;

  ShowDns(boolean zones) {
    this.zones = zones;
  }

  @Override
  public Result show(Observed o) {
    if (zones) {
      return Result.of("zonename", ColumnType.TEXT, "serial", ColumnType.INT8, "count", ColumnType.INT4);
    }
    return Result.of("hostname", ColumnType.TEXT, "ttl", ColumnType.INT8, "addrs", ColumnType.TEXT);
  }
}
