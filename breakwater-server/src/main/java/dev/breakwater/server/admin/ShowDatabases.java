package dev.breakwater.server.admin;

import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.frontend.ClientCounts;
import dev.breakwater.server.pool.Pool;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SHOW DATABASES: each configured database (and each made from the {@code *} entry) with its
 * settings resolved against the globals, its server and client counts, and PAUSE and DISABLE.
 */
final class ShowDatabases implements View {

  @Override
  public Result show(Observed o) {
    Result r =
        Result.of(
            "name", ColumnType.TEXT,
            "host", ColumnType.TEXT,
            "port", ColumnType.INT4,
            "database", ColumnType.TEXT,
            "force_user", ColumnType.TEXT,
            "pool_size", ColumnType.INT4,
            "min_pool_size", ColumnType.INT4,
            "reserve_pool_size", ColumnType.INT4,
            "server_lifetime", ColumnType.INT4,
            "pool_mode", ColumnType.TEXT,
            "load_balance_hosts", ColumnType.TEXT,
            "max_connections", ColumnType.INT4,
            "current_connections", ColumnType.INT4,
            "max_client_connections", ColumnType.INT4,
            "current_client_connections", ColumnType.INT4,
            "paused", ColumnType.INT4,
            "disabled", ColumnType.INT4);
    Settings s = o.settings();
    General g = s.general();
    ClientCounts counts = o.breakwater().frontend().clientCounts();
    for (DatabaseEntry db : databases(o).values()) {
      List<Pool> pools = o.poolsOf(db.name());
      int clients = counts.ofDatabase(db.name());
      boolean paused = !pools.isEmpty();
      for (Pool p : pools) {
        paused &= p.isPaused();
      }
      boolean several = db.host() != null && db.host().contains(",");
      r.row(
          db.name(),
          db.host(),
          db.port(),
          db.targetDbname(),
          db.forcesUser() ? db.user() : null,
          or(db.poolSize(), g.defaultPoolSize()),
          or(db.minPoolSize(), g.minPoolSize()),
          or(db.reservePoolSize(), g.reservePoolSize()),
          db.serverLifetime() != null && !db.serverLifetime().isZero()
              ? db.serverLifetime().toSeconds()
              : g.serverLifetime().toSeconds(),
          db.poolMode() == null ? null : db.poolMode().configName(),
          several && db.loadBalanceHosts() != null ? db.loadBalanceHosts().configName() : null,
          positiveOr(db.maxDbConnections(), g.maxDbConnections()),
          o.breakwater().pools().serversOfDatabase(db.name()),
          positiveOr(db.maxDbClientConnections(), g.maxDbClientConnections()),
          clients,
          paused ? 1 : 0,
          o.breakwater().frontend().isDisabled(db.name()) ? 1 : 0);
    }
    // The admin console's own database, as PgBouncer lists it: its clients count against
    // max_db_client_connections too.
    r.row(
        Settings.ADMIN_DATABASE,
        null,
        g.listenPort(),
        Settings.ADMIN_DATABASE,
        "pgbouncer",
        2,
        0,
        0,
        g.serverLifetime().toSeconds(),
        "statement",
        null,
        g.maxDbConnections(),
        0,
        g.maxDbClientConnections(),
        counts.ofDatabase(Settings.ADMIN_DATABASE),
        0,
        0);
    return r;
  }

  /** The configured databases in file order, then those made from {@code *} for a pool. */
  static Map<String, DatabaseEntry> databases(Observed o) {
    Settings s = o.settings();
    Map<String, DatabaseEntry> all = new LinkedHashMap<>(s.databases());
    for (Pool p : o.pools()) {
      String name = p.key().database();
      if (!all.containsKey(name)) {
        s.database(name).ifPresent(db -> all.put(name, db));
      }
    }
    return all;
  }

  private static int or(Integer value, int fallback) {
    return value != null ? value : fallback;
  }

  private static int positiveOr(Integer value, int fallback) {
    return value != null && value > 0 ? value : fallback;
  }
}
