package dev.breakwater.client;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Periodic evaluation of the three alerts on one daemon thread. Each alert is a streak: it starts
 * when its condition has held for its duration and ends the first time the monitor sees it false.
 */
final class AlertMonitor implements AutoCloseable {

  /** The default listener: a WARN line when an alert starts, an INFO line when it ends. */
  static final AlertListener LOG =
      event -> {
        if (event.state() == AlertEvent.State.STARTED) {
          log().warn("{}", event.message());
        } else {
          log().info("{}", event.message());
        }
      };

  private static final Logger log = LoggerFactory.getLogger(AlertMonitor.class);

  private static Logger log() {
    return log;
  }

  private final String pool;
  private final AlertSettings settings;
  private final Supplier<PoolStats> stats;
  private final Connector connector;
  private final List<AlertListener> listeners;
  private final ScheduledExecutorService executor;

  // Touched only by the monitor thread.
  private long waitingSince = -1;
  private long waitingAlertSince = -1;
  private long saturatedSince = -1;
  private long saturatedAlertSince = -1;
  private long failuresSeen;
  private long lastErrorAt = -1;
  private long errorsAlertSince = -1;
  private long successesSeen;

  AlertMonitor(
      String pool,
      AlertSettings settings,
      Supplier<PoolStats> stats,
      Connector connector,
      List<AlertListener> listeners) {
    this.pool = pool;
    this.settings = settings;
    this.stats = stats;
    this.connector = connector;
    this.listeners = List.copyOf(listeners);
    ScheduledThreadPoolExecutor ex =
        new ScheduledThreadPoolExecutor(1, new DaemonThreadFactory("breakwater-" + pool + "-alerts"));
    ex.setRemoveOnCancelPolicy(true);
    ex.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    this.executor = ex;
    this.failuresSeen = connector.failures();
  }

  void start() {
    long period = settings.checkEvery().toMillis();
    executor.scheduleWithFixedDelay(this::checkSafely, period, period, TimeUnit.MILLISECONDS);
  }

  private void checkSafely() {
    try {
      check(System.nanoTime());
    } catch (RuntimeException e) {
      log.warn("pool '{}': alert check failed", pool, e);
    }
  }

  void check(long now) {
    PoolStats s = stats.get();

    if (s.waiting() > 0) {
      if (waitingSince < 0) {
        waitingSince = now;
      }
      if (waitingAlertSince < 0 && now - waitingSince > settings.waitingFor().toNanos()) {
        waitingAlertSince = now;
        emit(Alert.POOL_WAITING, AlertEvent.State.STARTED, now - waitingSince, s, "");
      }
    } else {
      waitingSince = -1;
      if (waitingAlertSince >= 0) {
        emit(Alert.POOL_WAITING, AlertEvent.State.ENDED, now - waitingAlertSince, s, "");
        waitingAlertSince = -1;
      }
    }

    if (s.total() >= s.max()) {
      if (saturatedSince < 0) {
        saturatedSince = now;
      }
      if (saturatedAlertSince < 0 && now - saturatedSince > settings.saturatedFor().toNanos()) {
        saturatedAlertSince = now;
        emit(Alert.POOL_SATURATED, AlertEvent.State.STARTED, now - saturatedSince, s, "");
      }
    } else {
      saturatedSince = -1;
      if (saturatedAlertSince >= 0) {
        emit(Alert.POOL_SATURATED, AlertEvent.State.ENDED, now - saturatedAlertSince, s, "");
        saturatedAlertSince = -1;
      }
    }

    long failures = connector.failures();
    if (failures > failuresSeen) {
      long fresh = failures - failuresSeen;
      failuresSeen = failures;
      lastErrorAt = connector.lastFailureNanos();
      successesSeen = connector.successes();
      if (errorsAlertSince < 0) {
        errorsAlertSince = now;
        emit(Alert.CONNECTION_ERRORS, AlertEvent.State.STARTED, 0, s, describe(fresh, connector.lastFailure()));
      }
    } else if (errorsAlertSince >= 0) {
      boolean recovered = connector.successes() > successesSeen;
      boolean quiet = now - lastErrorAt > settings.errorsQuietFor().toNanos();
      if (recovered || quiet) {
        emit(Alert.CONNECTION_ERRORS, AlertEvent.State.ENDED, now - errorsAlertSince, s, "");
        errorsAlertSince = -1;
      }
    }
  }

  private static String describe(long count, SQLException last) {
    String what = count == 1 ? "1 failed attempt" : count + " failed attempts";
    if (last == null) {
      return what;
    }
    return what
        + ", last: "
        + last.getMessage()
        + (last.getSQLState() != null ? " [SQLSTATE " + last.getSQLState() + "]" : "");
  }

  private void emit(Alert alert, AlertEvent.State state, long lastedNanos, PoolStats s, String detail) {
    AlertEvent event =
        new AlertEvent(alert, state, pool, Instant.now(), Duration.ofNanos(lastedNanos), s, detail);
    for (AlertListener l : listeners) {
      try {
        l.onAlert(event);
      } catch (RuntimeException e) {
        log.warn("pool '{}': alert listener failed", pool, e);
      }
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
