package dev.breakwater.server.admin;

import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.stats.PoolMeters;

/**
 * SHOW POOLS: one row per (database, user) with its clients and servers by state and the wait of
 * its oldest waiting client. Breakwater has no cancel lists and no "used" servers: those columns
 * are 0.
 */
final class ShowPools implements View {

  @Override
  public Result show(Observed o) {
    Result r =
        Result.of(
            "database", ColumnType.TEXT,
            "user", ColumnType.TEXT,
            "cl_active", ColumnType.INT4,
            "cl_waiting", ColumnType.INT4,
            "cl_active_cancel_req", ColumnType.INT4,
            "cl_waiting_cancel_req", ColumnType.INT4,
            "sv_active", ColumnType.INT4,
            "sv_active_cancel", ColumnType.INT4,
            "sv_being_canceled", ColumnType.INT4,
            "sv_idle", ColumnType.INT4,
            "sv_used", ColumnType.INT4,
            "sv_tested", ColumnType.INT4,
            "sv_login", ColumnType.INT4,
            "maxwait", ColumnType.INT4,
            "maxwait_us", ColumnType.INT4,
            "pool_mode", ColumnType.TEXT,
            "load_balance_hosts", ColumnType.TEXT);
    for (Pool p : o.pools()) {
      PoolMeters.Counts c = PoolMeters.count(p);
      long wait = c.maxWaitNanos() / 1000;
      String host = p.settings().serverHost();
      r.row(
          p.key().database(),
          p.key().user(),
          // PgBouncer's active list holds both linked clients and idle ones.
          c.clientsActive() + c.clientsIdle(),
          c.clientsWaiting(),
          0,
          0,
          c.serversActive(),
          0,
          0,
          c.serversIdle(),
          0,
          c.serversTested(),
          c.serversLogin(),
          (int) (wait / 1_000_000),
          (int) (wait % 1_000_000),
          p.settings().mode().configName(),
          host != null && host.contains(",")
              ? o.settings().database(p.key().database())
                  .map(db -> db.loadBalanceHosts().configName())
                  .orElse(null)
              : null);
    }
    return r;
  }
}
