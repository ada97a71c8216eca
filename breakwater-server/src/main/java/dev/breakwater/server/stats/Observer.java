package dev.breakwater.server.stats;

import dev.breakwater.server.backend.PreparedStatements;
import dev.breakwater.server.config.General;
import dev.breakwater.server.frontend.Frontend;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.Pools;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What watches a running Breakwater, on one daemon thread ticking once a second: it registers the
 * meters of new pools, moves the dashboard's latency windows on, samples the counters every
 * {@code stats_period} (and logs PgBouncer's {@code stats:} line when {@code log_stats} is on),
 * and evaluates the alerts. Nothing here runs on an event loop.
 */
public final class Observer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Observer.class);

  private final Frontend frontend;
  private final Pools pools;
  private final StatsAverages averages;
  private final Alerts alerts = new Alerts();
  private final Metrics metrics;
  private final ScheduledExecutorService thread;
  private final ConnectionEvents events;

  public Observer(Frontend frontend, Pools pools, PreparedStatements statements) {
    this.frontend = frontend;
    this.pools = pools;
    this.averages = new StatsAverages(System.nanoTime());
    this.metrics = new Metrics(frontend, statements, alerts);
    ConnectionLog connectionLog = new ConnectionLog(() -> frontend.settings().general());
    this.events = both(connectionLog, metrics);
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "bw-observer");
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts ticking. */
  public Observer start() {
    thread.scheduleAtFixedRate(this::tickSafely, 1, 1, TimeUnit.SECONDS);
    return this;
  }

  public StatsAverages averages() {
    return averages;
  }

  public Alerts alerts() {
    return alerts;
  }

  public Metrics metrics() {
    return metrics;
  }

  /** The listener the frontend and backend report connection events to. */
  public ConnectionEvents events() {
    return events;
  }

  private static ConnectionEvents both(ConnectionEvents a, ConnectionEvents b) {
    return new ConnectionEvents() {
      @Override
      public void clientLoggedIn(dev.breakwater.server.frontend.ClientConnection c) {
        a.clientLoggedIn(c);
        b.clientLoggedIn(c);
      }

      @Override
      public void clientClosed(
          dev.breakwater.server.frontend.ClientConnection c,
          dev.breakwater.server.CloseReason reason,
          boolean duringLogin) {
        a.clientClosed(c, reason, duringLogin);
        b.clientClosed(c, reason, duringLogin);
      }

      @Override
      public void serverLoggedIn(dev.breakwater.server.backend.ServerConnection s) {
        a.serverLoggedIn(s);
        b.serverLoggedIn(s);
      }

      @Override
      public void serverClosed(
          dev.breakwater.server.backend.ServerConnection s,
          dev.breakwater.server.CloseReason reason,
          dev.breakwater.protocol.ErrorFields error) {
        a.serverClosed(s, reason, error);
        b.serverClosed(s, reason, error);
      }
    };
  }

  /** Runs a task on the observer's thread (blocking work the admin console must not do on a loop). */
  public void execute(Runnable task) {
    thread.execute(task);
  }

  private void tickSafely() {
    try {
      tick(System.nanoTime());
    } catch (RuntimeException e) {
      log.warn("observer tick failed", e);
    }
  }

  /**
   * The admin console's own counters, PgBouncer's database {@code pgbouncer} in SHOW STATS: each
   * console command is one transaction and one query.
   */
  private final PoolStats console = new PoolStats();

  public PoolStats console() {
    return console;
  }

  /** Pools removed as of the last tick. */
  private long removalsSeen;

  /** One tick; public for tests, which drive time themselves. */
  public synchronized void tick(long now) {
    List<Pool> all = List.copyOf(pools.all());
    // Pools removed since the last tick (autodb_idle_timeout) take their meters, samples and
    // alert streaks with them.
    long removals = pools.removals();
    if (removals != removalsSeen) {
      removalsSeen = removals;
      metrics.retain(all);
      alerts.retain(all);
    }
    metrics.discover(all);
    metrics.roll();
    General g = frontend.settings().general();
    long period = Math.max(1, g.statsPeriod().toSeconds()) * 1_000_000_000L;
    if (now - averages.lastSampleNanos() >= period - 100_000_000L) {
      List<PoolStats> sampled = StatsAverages.statsOf(all);
      sampled.add(console);
      averages.sample(sampled, now);
      averages.retain(sampled);
      if (g.logStats()) {
        log.info("{}", StatsAverages.logLine(averages.ofStats(sampled)));
      }
    }
    alerts.check(all, now);
  }

  @Override
  public void close() {
    thread.shutdownNow();
    metrics.close();
  }
}
