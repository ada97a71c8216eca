package dev.breakwater.server.stats;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.frontend.ClientState;
import dev.breakwater.server.pool.Pool;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.function.ToDoubleFunction;

/**
 * One pool's meters: gauges read from the pool when scraped, and counters read from its
 * {@link PoolStats}. The histograms of wait, transaction and query time are the pool's
 * {@link DurationHistogram}s, exported by {@link Metrics}.
 */
public final class PoolMeters {

  /** The reasons a client is pinned to its server (see dev.breakwater.server.sql.Effect.Pin). */
  static final java.util.List<String> PIN_REASONS =
      java.util.List.of(
          dev.breakwater.server.sql.Effect.Pin.ADVISORY_LOCK,
          dev.breakwater.server.sql.Effect.Pin.TEMP_TABLE,
          dev.breakwater.server.sql.Effect.Pin.CURSOR_WITH_HOLD,
          dev.breakwater.server.sql.Effect.Pin.PREPARE,
          dev.breakwater.server.sql.Effect.Pin.LOAD,
          dev.breakwater.server.sql.Effect.Pin.SET_ROLE,
          dev.breakwater.server.sql.Effect.Pin.SET_CONFIG_COMPUTED,
          dev.breakwater.server.sql.Effect.Pin.UNRECOGNIZED_SET,
          dev.breakwater.server.sql.Effect.Pin.UNVERIFIED_STATE);

  /** Seconds over which the dashboard's percentiles are computed. */
  public static final int WINDOW_SECONDS = 10;

  /** The pool's connections by state, counted at most every 200 ms. */
  public record Counts(
      int clientsActive,
      int clientsIdle,
      int clientsWaiting,
      int clientsLogin,
      int serversActive,
      int serversIdle,
      int serversLogin,
      int serversTested,
      long maxWaitNanos) {

    public int servers() {
      return serversActive + serversIdle + serversLogin + serversTested;
    }
  }

  private final Pool pool;
  private volatile Counts counts;
  private volatile long countedAt;

  PoolMeters(Pool pool, MeterRegistry registry) {
    this.pool = pool;
    Tags tags = Tags.of("database", pool.key().database(), "user", pool.key().user());
    gauge(registry, "breakwater.pool.clients", "Client connections by state", tags.and("state", "active"), c -> c.clientsActive);
    gauge(registry, "breakwater.pool.clients", "Client connections by state", tags.and("state", "idle"), c -> c.clientsIdle);
    gauge(registry, "breakwater.pool.clients", "Client connections by state", tags.and("state", "waiting"), c -> c.clientsWaiting);
    gauge(registry, "breakwater.pool.clients", "Client connections by state", tags.and("state", "login"), c -> c.clientsLogin);
    gauge(registry, "breakwater.pool.servers", "Server connections by state", tags.and("state", "active"), c -> c.serversActive);
    gauge(registry, "breakwater.pool.servers", "Server connections by state", tags.and("state", "idle"), c -> c.serversIdle);
    gauge(registry, "breakwater.pool.servers", "Server connections by state", tags.and("state", "login"), c -> c.serversLogin);
    gauge(registry, "breakwater.pool.servers", "Server connections by state", tags.and("state", "tested"), c -> c.serversTested);
    Gauge.builder("breakwater.pool.max.wait", this, m -> m.counts().maxWaitNanos / 1e9)
        .description("How long the oldest waiting client has waited")
        .baseUnit("seconds")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    Gauge.builder("breakwater.pool.size", this, m -> maxServers(m.pool))
        .description("Most server connections the pool may open (pool_size)")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    Gauge.builder("breakwater.pool.reserve.size", this, m -> m.pool.settings().reservePoolSize())
        .description("Extra servers allowed after reserve_pool_timeout (reserve_pool_size)")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    Gauge.builder("breakwater.pool.paused", this, m -> m.pool.isPaused() ? 1 : 0)
        .description("1 while the pool is paused (PAUSE)")
        .tags(tags)
        .strongReference(true)
        .register(registry);
    Gauge.builder("breakwater.pool.server.unreachable", this, m -> m.pool.lastServerError() != null ? 1 : 0)
        .description("1 while the last attempt to open a server connection failed")
        .tags(tags)
        .strongReference(true)
        .register(registry);

    counter(registry, "breakwater.pool.transactions", "Transactions pooled", null, tags, t -> t.transactions());
    counter(registry, "breakwater.pool.queries", "Queries pooled", null, tags, t -> t.queries());
    counter(registry, "breakwater.pool.server.assignments", "Times a server was lent to a client", null, tags, t -> t.assignments());
    counter(registry, "breakwater.pool.received", "Bytes received from clients", "bytes", tags, t -> t.received());
    counter(registry, "breakwater.pool.sent", "Bytes sent to clients", "bytes", tags, t -> t.sent());
    counter(registry, "breakwater.pool.client.parses", "Prepared statements created by clients", null, tags, t -> t.clientParses());
    counter(registry, "breakwater.pool.server.parses", "Prepared statements created by Breakwater on servers", null, tags, t -> t.serverParses());
    counter(registry, "breakwater.pool.binds", "Prepared statements bound", null, tags, t -> t.binds());
    counter(registry, "breakwater.pool.statement.evictions",
        "Prepared statements closed on a server to stay within max_prepared_statements", null, tags, t -> t.evictions());
    counter(registry, "breakwater.pool.state.checks",
        "Times a server's session state was read back after a transaction the pooler could not follow",
        null, tags, t -> t.stateChecks());
    for (String reason : PIN_REASONS) {
      FunctionCounter.builder("breakwater.pool.pins", pool.stats(), s -> s.pins().getOrDefault(reason, 0L))
          .description("Times a client was pinned to its server in transaction mode, by reason")
          .tags(tags.and("reason", reason))
          .register(registry);
    }

    // The seed's names (db.pool.total, .idle, .waiting, .max), per pool.
    Gauge.builder("db.pool.open", this, m -> m.counts().servers())
        .description("Server connections open, in use or idle (the seed's db.pool.total; Prometheus keeps _total for counters)")
        .tags(tags).strongReference(true).register(registry);
    Gauge.builder("db.pool.idle", this, m -> m.counts().serversIdle)
        .description("Server connections open and unused (the seed's db.pool.idle)")
        .tags(tags).strongReference(true).register(registry);
    Gauge.builder("db.pool.waiting", this, m -> m.counts().clientsWaiting)
        .description("Clients waiting for a server (the seed's db.pool.waiting)")
        .tags(tags).strongReference(true).register(registry);
    Gauge.builder("db.pool.max", this, m -> maxServers(m.pool))
        .description("Most server connections the pool may open (the seed's db.pool.max)")
        .tags(tags).strongReference(true).register(registry);

    // Registered now so that rules on them see 0 before the first event (Metrics counts them).
    io.micrometer.core.instrument.Counter.builder(Metrics.SERVER_LOGINS)
        .description(Metrics.SERVER_LOGINS_HELP).tags(tags).register(registry);
    io.micrometer.core.instrument.Counter.builder(Metrics.SERVER_CONNECT_ERRORS)
        .description(Metrics.SERVER_CONNECT_ERRORS_HELP).tags(tags).register(registry);
  }

  private static double maxServers(Pool p) {
    int size = p.settings().poolSize();
    return size == Integer.MAX_VALUE ? Double.POSITIVE_INFINITY : size;
  }

  private void gauge(MeterRegistry registry, String name, String description, Tags tags, ToDoubleFunction<Counts> f) {
    Gauge.builder(name, this, m -> f.applyAsDouble(m.counts()))
        .description(description)
        .tags(tags)
        .strongReference(true)
        .register(registry);
  }

  private void counter(
      MeterRegistry registry, String name, String description, String unit, Tags tags,
      ToDoubleFunction<PoolStats.Totals> f) {
    FunctionCounter.Builder<PoolStats> b =
        FunctionCounter.builder(name, pool.stats(), s -> f.applyAsDouble(s.totals()))
            .description(description)
            .tags(tags);
    if (unit != null) {
      b.baseUnit(unit);
    }
    b.register(registry);
  }

  public Pool pool() {
    return pool;
  }

  /** The pool's connections by state (recounted when older than 200 ms). */
  public Counts counts() {
    long now = System.nanoTime();
    Counts c = counts;
    if (c == null || now - countedAt > 200_000_000L) {
      c = count(pool);
      counts = c;
      countedAt = now;
    }
    return c;
  }

  /** Counts a pool's clients and servers by state. */
  public static Counts count(Pool pool) {
    int active = 0;
    int idle = 0;
    int waiting = 0;
    int login = 0;
    for (ClientConnection c : pool.clients(ClientConnection.class)) {
      ClientState st = c.state();
      switch (st) {
        case ACTIVE -> active++;
        case IDLE -> idle++;
        case WAITING -> waiting++;
        case LOGIN -> login++;
        default -> {}
      }
    }
    // The servers by the pool's lists, counted under its lock in one go.
    Pool.Snapshot s = pool.snapshot();
    return new Counts(active, idle, waiting, login, s.active(), s.idle(), s.login(), s.tested(), s.maxWaitNanos());
  }

  public LatencyWindow waitWindow() {
    return pool.stats().waits().window();
  }

  public LatencyWindow transactionWindow() {
    return pool.stats().transactions().window();
  }

  public LatencyWindow queryWindow() {
    return pool.stats().queries().window();
  }

  /** Once a second: the dashboard's windows and the longest durations move on. */
  void roll() {
    pool.stats().roll();
  }
}
