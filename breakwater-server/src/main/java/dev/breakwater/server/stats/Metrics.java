package dev.breakwater.server.stats;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.backend.PreparedStatements;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.frontend.Frontend;
import dev.breakwater.server.pool.Pool;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Function;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Breakwater's meters in a Micrometer Prometheus registry: per pool through {@link PoolMeters},
 * and process-wide ones here: clients connected, logins by result, errors by reason, active alerts,
 * prepared statement work, and the JVM's. The names are documented in {@code docs/metrics.md}.
 */
public final class Metrics implements ConnectionEvents, AutoCloseable {

  static final String SERVER_LOGINS = "breakwater.server.logins";
  static final String SERVER_LOGINS_HELP = "Server connections that logged in";
  static final String SERVER_CONNECT_ERRORS = "breakwater.server.connect.errors";
  static final String SERVER_CONNECT_ERRORS_HELP = "Server connections that could not connect or log in";
  private static final String LOGINS = "breakwater.logins";
  private static final String LOGINS_HELP = "Client logins by result";

  /** Closes that are part of normal life, not errors. */
  private static final Set<CloseReason> NORMAL = normalReasons();

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<Pool, PoolMeters> pools = new ConcurrentHashMap<>();
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();
  /** The counter every login adds to, found once: no key to build and look up per login. */
  private volatile Counter loginsOk;
  private final JvmGcMetrics gc = new JvmGcMetrics();

  public Metrics(Frontend frontend, PreparedStatements statements, Alerts alerts) {
    registry.getPrometheusRegistry().register(this::durations);
    Gauge.builder("breakwater.clients", frontend, Frontend::clientCount)
        .description("Client connections, logged in or not (admin console included)")
        .strongReference(true)
        .register(registry);
    for (dev.breakwater.server.frontend.ClientKind k : dev.breakwater.server.frontend.ClientKind.values()) {
      Gauge.builder("breakwater.clients.by.kind", frontend, f -> f.clientCount(k))
          .description("Client connections by kind: tcp, unix (the PostgreSQL port), http (POST /sql requests), ws (WebSocket sessions)")
          .tag("kind", k.label())
          .strongReference(true)
          .register(registry);
    }
    Gauge.builder("breakwater.clients.max", frontend, f -> f.settings().general().maxClientConn())
        .description("max_client_conn")
        .strongReference(true)
        .register(registry);
    for (Alerts.Kind k : Alerts.Kind.values()) {
      Gauge.builder(
              "breakwater.alerts.active",
              alerts,
              a -> a.active().stream().filter(x -> x.kind() == k).count())
          .description("Pools for which the alert is active now")
          .tag("alert", k.name())
          .strongReference(true)
          .register(registry);
    }
    FunctionCounter.builder("breakwater.prepared.client.parses", statements, PreparedStatements::clientParses)
        .description("Parse messages of named prepared statements received from clients")
        .register(registry);
    FunctionCounter.builder("breakwater.prepared.server.parses", statements, PreparedStatements::serverParses)
        .description("Parse messages sent by Breakwater to prepare statements on servers")
        .register(registry);
    FunctionCounter.builder("breakwater.prepared.evictions", statements, PreparedStatements::evictions)
        .description("Prepared statements closed on servers to stay within max_prepared_statements")
        .register(registry);
    Gauge.builder("breakwater.prepared.statements", statements, PreparedStatements::size)
        .description("Distinct prepared statements known (by query text)")
        .strongReference(true)
        .register(registry);
    for (String result : new String[] {"ok", "failed", "abandoned"}) {
      Counter.builder(LOGINS).description(LOGINS_HELP).tag("result", result).register(registry);
    }
    new JvmMemoryMetrics().bindTo(registry);
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
  }

  private static Set<CloseReason> normalReasons() {
    Set<CloseReason> normal = EnumSet.noneOf(CloseReason.class);
    for (String name :
        new String[] {
          "CLIENT_TERMINATE", "CLIENT_CLOSED", "SERVER_IDLE_TIMEOUT", "SERVER_LIFETIME", "EVICTED",
          "RECONNECT", "PAUSED", "KILLED", "SHUTDOWN", "AUTH_LOOKUP_DONE"
        }) {
      try {
        normal.add(CloseReason.valueOf(name));
      } catch (IllegalArgumentException e) {
        // A reason renamed in the core: it counts as an error until listed here.
      }
    }
    return normal;
  }

  /** Whether a close for this reason counts in {@code breakwater_errors_total}. */
  public static boolean isError(CloseReason reason) {
    return !NORMAL.contains(reason);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Registers the meters of pools not seen before. */
  public void discover(Collection<Pool> all) {
    for (Pool p : all) {
      // A pool opened only for an auth_query lookup (a database of the * entry that no client
      // has logged in to) gets no meters: it is gone a second later.
      if (!p.lookupOnly()) {
        pools.computeIfAbsent(p, k -> new PoolMeters(k, registry));
      }
    }
  }

  /** Meters tagged with a pool's database and user, dropped when the pool is removed. */
  private static boolean perPool(String name) {
    return name.startsWith("breakwater.pool.")
        || name.startsWith("db.pool.")
        || name.equals(SERVER_LOGINS)
        || name.equals(SERVER_CONNECT_ERRORS);
  }

  /**
   * Removes the meters of pools that are no longer in {@code all}, those of a pool opened for an
   * auth_query lookup included: a pool made again later for the same database and user would
   * otherwise read the old pool's gauges (Micrometer keeps the first meter of a name and tags).
   */
  public void retain(Collection<Pool> all) {
    java.util.Set<Pool> live = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    live.addAll(all);
    java.util.Set<List<String>> liveKeys = new java.util.HashSet<>();
    for (Pool p : all) {
      liveKeys.add(List.of(p.key().database(), p.key().user()));
    }
    pools.keySet().removeIf(p -> !live.contains(p));
    for (io.micrometer.core.instrument.Meter m : List.copyOf(registry.getMeters())) {
      io.micrometer.core.instrument.Meter.Id id = m.getId();
      String db = id.getTag("database");
      String user = id.getTag("user");
      if (db != null && user != null && perPool(id.getName()) && !liveKeys.contains(List.of(db, user))) {
        registry.remove(m);
      }
    }
    counters.values().removeIf(c -> registry.find(c.getId().getName()).tags(c.getId().getTags()).counter() != c);
  }

  /** Every meter registered now (tests). */
  public List<io.micrometer.core.instrument.Meter> registryMeters() {
    return List.copyOf(registry.getMeters());
  }

  /** How many pools have meters (tests). */
  public int pooled() {
    return pools.size();
  }

  /** The meters of a pool, registering them if needed. */
  public PoolMeters of(Pool p) {
    return pools.computeIfAbsent(p, k -> new PoolMeters(k, registry));
  }

  /** Once a second: the dashboard's latency windows move on. */
  void roll() {
    for (PoolMeters m : pools.values()) {
      m.roll();
    }
  }

  /** The three kinds of duration of each pool, and the longest of each: see {@link DurationHistogram}. */
  private static final List<DurationKind> DURATIONS =
      List.of(
          new DurationKind("breakwater_pool_wait_seconds", "Time clients waited for a server", PoolStats::waits),
          new DurationKind(
              "breakwater_pool_transaction_seconds", "Time servers spent in a transaction", PoolStats::transactions),
          new DurationKind("breakwater_pool_query_seconds", "Time servers spent running a query", PoolStats::queries));

  private record DurationKind(String name, String help, Function<PoolStats, DurationHistogram> of) {}

  /**
   * The pools' {@link DurationHistogram}s as Prometheus histograms, with their longest as
   * {@code _max} gauges: the names and buckets Micrometer's timers had, read at scrape time.
   */
  private MetricSnapshots durations() {
    double[] bounds = DurationHistogram.upperBoundsSeconds();
    List<MetricSnapshot> out = new ArrayList<>();
    for (DurationKind k : DURATIONS) {
      HistogramSnapshot.Builder histogram = HistogramSnapshot.builder().name(k.name()).help(k.help()).unit(Unit.SECONDS);
      GaugeSnapshot.Builder max = GaugeSnapshot.builder().name(k.name() + "_max").help(k.help());
      for (PoolMeters m : pools.values()) {
        DurationHistogram h = k.of().apply(m.pool().stats());
        Labels labels = Labels.of("database", m.pool().key().database(), "user", m.pool().key().user());
        histogram.dataPoint(
            HistogramSnapshot.HistogramDataPointSnapshot.builder()
                .labels(labels)
                .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, h.bucketCounts()))
                .sum(h.sumMicros() / 1e6)
                .build());
        max.dataPoint(
            GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(labels).value(h.maxNanos() / 1e9).build());
      }
      out.add(histogram.build());
      out.add(max.build());
    }
    return new MetricSnapshots(out);
  }

  /** The Prometheus text exposition of every meter. */
  public String scrape(Collection<Pool> all) {
    discover(all);
    return registry.scrape();
  }

  private void count(String name, String description, String... tags) {
    counter(name, description, tags).increment();
  }

  private Counter counter(String name, String description, String... tags) {
    String key = name + String.join(",", tags);
    return counters.computeIfAbsent(
        key, k -> Counter.builder(name).description(description).tags(tags).register(registry));
  }

  private static String label(CloseReason reason) {
    return reason.name().toLowerCase(Locale.ROOT);
  }

  @Override
  public void clientLoggedIn(ClientConnection c) {
    Counter ok = loginsOk;
    if (ok == null) {
      ok = counter(LOGINS, LOGINS_HELP, "result", "ok");
      loginsOk = ok;
    }
    ok.increment();
    dev.breakwater.server.frontend.EdgeClient edge = dev.breakwater.server.frontend.EdgeClient.of(c.channel());
    if (edge != null) {
      count("breakwater.edge.logins", "Clients of the HTTP listener that logged in, by kind: http (POST /sql requests), ws (WebSocket sessions)",
          "kind", edge.kind() == dev.breakwater.server.frontend.EdgeClient.Kind.HTTP ? "http" : "ws");
    }
  }

  @Override
  public void clientClosed(ClientConnection c, CloseReason reason, boolean duringLogin) {
    if (duringLogin) {
      boolean abandoned = reason == CloseReason.CLIENT_CLOSED || reason == CloseReason.CLIENT_TERMINATE;
      count(LOGINS, LOGINS_HELP, "result", abandoned ? "abandoned" : "failed");
    }
    if (isError(reason)) {
      count("breakwater.errors", "Connections closed for an error, by side and reason",
          "side", "client", "reason", label(reason));
    }
  }

  @Override
  public void serverLoggedIn(ServerConnection s) {
    count(SERVER_LOGINS, SERVER_LOGINS_HELP,
        "database", s.pool().key().database(), "user", s.pool().key().user());
  }

  @Override
  public void serverClosed(ServerConnection s, CloseReason reason, ErrorFields error) {
    if (error != null) {
      count(SERVER_CONNECT_ERRORS, SERVER_CONNECT_ERRORS_HELP,
          "database", s.pool().key().database(), "user", s.pool().key().user());
    }
    if (isError(reason)) {
      count("breakwater.errors", "Connections closed for an error, by side and reason",
          "side", "server", "reason", label(reason));
    }
  }

  @Override
  public void close() {
    gc.close();
    registry.close();
  }
}
