package dev.breakwater.server.stats;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The seed's three alerts, evaluated inside Breakwater once a second for every pool. Each is a
 * streak: it starts when its condition has held for its duration, and ends the first time the
 * condition is seen false. A start and an end are each logged at WARN; the alerts active now are
 * in {@code /health}, on the dashboard and in the {@code breakwater_alerts_active} metric.
 */
public final class Alerts {

  private static final Logger log = LoggerFactory.getLogger(Alerts.class);

  /** The alerts, named as in the client library and {@code examples/prometheus/alerts.yml}. */
  public enum Kind {
    /** Clients have waited for a server for longer than {@link Settings#waitingFor()}. */
    POOL_WAITING("clients are waiting for a server", "scale out, or raise pool_size"),
    /**
     * Every server the pool may open has been in use (active) for longer than
     * {@link Settings#saturatedFor()}: the seed's "total == max" for a pool that lends its
     * connections, so that servers left open but idle raise no alarm.
     */
    POOL_SATURATED(
        "the pool has been at pool_size",
        "pool exhaustion risk: look for slow queries or long transactions, or raise pool_size"),
    /** Opening a server connection failed; ends when one succeeds or none failed for a while. */
    CONNECTION_ERRORS(
        "server connections fail", "check the database's status, address and credentials");

    private final String condition;
    private final String action;

    Kind(String condition, String action) {
      this.condition = condition;
      this.action = action;
    }

    public String condition() {
      return condition;
    }

    public String action() {
      return action;
    }
  }

  /**
   * How long a condition must hold before its alert starts, and how long without a new error
   * ends a connection-errors alert. The seed's values are {@link #DEFAULTS}.
   */
  public record Settings(Duration waitingFor, Duration saturatedFor, Duration errorsQuietFor) {
    public static final Settings DEFAULTS =
        new Settings(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60));
  }

  /** An alert that has started and not ended. */
  public record Active(Kind kind, PoolKey pool, Instant since, String message) {}

  /** A start or an end, for listeners (the metrics, tests). */
  public record Event(Kind kind, PoolKey pool, boolean started, Instant at, String message) {}

  /** One pool's streaks; touched only by the thread that calls {@link #check}. */
  private static final class Streaks {
    long waitingSince = -1;
    long saturatedSince = -1;
    ErrorFields lastError;
    long lastErrorAt = -1;
  }

  private volatile Settings settings = Settings.DEFAULTS;
  private final Map<PoolKey, Streaks> streaks = new HashMap<>();
  private final Map<String, Active> active = new java.util.concurrent.ConcurrentHashMap<>();
  private final List<Consumer<Event>> listeners = new CopyOnWriteArrayList<>();

  public Settings settings() {
    return settings;
  }

  /** Changes the durations (tests use seconds instead of a minute). */
  public void settings(Settings s) {
    this.settings = Objects.requireNonNull(s);
  }

  public void listen(Consumer<Event> listener) {
    listeners.add(listener);
  }

  /** The alerts active now, oldest first. */
  public List<Active> active() {
    List<Active> list = new ArrayList<>(active.values());
    list.sort(Comparator.comparing(Active::since));
    return list;
  }

  /** Forgets the streaks of pools not in {@code all} (removed); from the thread of {@link #check}. */
  public void retain(java.util.Collection<Pool> all) {
    if (streaks.size() > all.size()) {
      java.util.Set<PoolKey> live = new java.util.HashSet<>();
      for (Pool p : all) {
        live.add(p.key());
      }
      streaks.keySet().removeIf(k -> !live.contains(k));
    }
  }

  /** Evaluates every pool; call about once a second, always from the same thread. */
  public void check(Iterable<Pool> pools, long now) {
    Settings cfg = settings;
    for (Pool p : pools) {
      Streaks s = streaks.computeIfAbsent(p.key(), k -> new Streaks());
      Pool.Snapshot snap = p.snapshot();
      checkWaiting(p, s, snap, cfg, now);
      checkSaturated(p, s, snap, cfg, now);
      checkErrors(p, s, cfg, now);
    }
  }

  private void checkWaiting(Pool p, Streaks s, Pool.Snapshot snap, Settings cfg, long now) {
    if (snap.waiting() > 0) {
      if (s.waitingSince < 0) {
        s.waitingSince = now;
      }
      if (now - s.waitingSince > cfg.waitingFor().toNanos()) {
        start(
            Kind.POOL_WAITING,
            p.key(),
            snap.waiting()
                + (snap.waiting() == 1 ? " client" : " clients")
                + " waiting for more than "
                + seconds(cfg.waitingFor())
                + ", the oldest for "
                + seconds(Duration.ofNanos(snap.maxWaitNanos())));
      }
    } else {
      s.waitingSince = -1;
      end(Kind.POOL_WAITING, p.key(), "no client is waiting");
    }
  }

  private void checkSaturated(Pool p, Streaks s, Pool.Snapshot snap, Settings cfg, long now) {
    int max = p.settings().poolSize();
    if (max != Integer.MAX_VALUE && snap.active() >= max) {
      if (s.saturatedSince < 0) {
        s.saturatedSince = now;
      }
      if (now - s.saturatedSince > cfg.saturatedFor().toNanos()) {
        start(
            Kind.POOL_SATURATED,
            p.key(),
            snap.active() + " of " + max + " servers in use for more than " + seconds(cfg.saturatedFor())
                + " (" + snap.active() + " active, " + snap.waiting() + " clients waiting)");
      }
    } else {
      s.saturatedSince = -1;
      end(Kind.POOL_SATURATED, p.key(), snap.active() + " of " + max + " servers in use");
    }
  }

  private void checkErrors(Pool p, Streaks s, Settings cfg, long now) {
    ErrorFields error = p.lastServerError();
    if (error != null && error != s.lastError) {
      s.lastError = error;
      s.lastErrorAt = now;
      start(Kind.CONNECTION_ERRORS, p.key(), "opening a server connection failed: " + error);
      return;
    }
    if (error == null && s.lastError != null) {
      s.lastError = null;
      end(Kind.CONNECTION_ERRORS, p.key(), "a server connection logged in");
    } else if (s.lastErrorAt >= 0 && now - s.lastErrorAt > cfg.errorsQuietFor().toNanos()) {
      s.lastErrorAt = -1;
      end(Kind.CONNECTION_ERRORS, p.key(), "no new error for " + seconds(cfg.errorsQuietFor()));
    }
  }

  private void start(Kind kind, PoolKey pool, String message) {
    String id = kind + " " + pool;
    if (active.containsKey(id)) {
      return;
    }
    Instant at = Instant.now();
    active.put(id, new Active(kind, pool, at, message));
    log.warn("alert {} started: pool {}: {}; {}", kind, pool, message, kind.action());
    emit(new Event(kind, pool, true, at, message));
  }

  private void end(Kind kind, PoolKey pool, String why) {
    Active a = active.remove(kind + " " + pool);
    if (a == null) {
      return;
    }
    Instant at = Instant.now();
    log.warn(
        "alert {} ended: pool {}: {} (lasted {})",
        kind, pool, why, seconds(Duration.between(a.since(), at)));
    emit(new Event(kind, pool, false, at, why));
  }

  private void emit(Event e) {
    for (Consumer<Event> l : listeners) {
      try {
        l.accept(e);
      } catch (RuntimeException ex) {
        log.warn("alert listener failed", ex);
      }
    }
  }

  static String seconds(Duration d) {
    long ms = d.toMillis();
    if (ms < 10_000) {
      return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    return (ms / 1000) + " s";
  }
}
