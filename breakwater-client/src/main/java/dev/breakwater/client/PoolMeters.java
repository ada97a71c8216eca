package dev.breakwater.client;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.metrics.micrometer.MicrometerMetricsTrackerFactory;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One pool's gauges in Micrometer registries. The only class of the library (with HikariCP's own
 * Micrometer tracker) that touches Micrometer: {@link BreakwaterPool} makes it when asked for
 * metrics, so the library runs without Micrometer on the classpath (it is an optional
 * dependency).
 */
final class PoolMeters implements MeterBinder {

  private final BreakwaterPool pool;
  private final List<Map.Entry<MeterRegistry, Meter>> meters = new ArrayList<>();

  PoolMeters(BreakwaterPool pool) {
    this.pool = pool;
  }

  /** HikariCP's own {@code hikaricp.*} metrics into {@code registry}. */
  static void trackHikari(HikariConfig hikari, MeterRegistry registry) {
    hikari.setMetricsTrackerFactory(new MicrometerMetricsTrackerFactory(registry));
  }

  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Tags tags = Tags.of("pool", pool.name());
    gauge(registry, "db.pool.total", "Connections open, in use or idle", tags, p -> p.stats().total());
    gauge(registry, "db.pool.idle", "Connections open and unused", tags, p -> p.stats().idle());
    gauge(registry, "db.pool.waiting", "Callers waiting for a connection", tags, p -> p.stats().waiting());
    gauge(registry, "db.pool.max", "Most connections the pool may open", tags, p -> p.settings().maxSize());
  }

  private void gauge(
      MeterRegistry registry, String name, String help, Tags tags, ToDoubleFunction<BreakwaterPool> f) {
    Gauge g =
        Gauge.builder(name, pool, f)
            .description(help)
            .baseUnit("connections")
            .tags(tags)
            .strongReference(true)
            .register(registry);
    meters.add(Map.entry(registry, g));
  }

  /** Takes the gauges out of their registries, as the pool closes. */
  synchronized void close() {
    for (Map.Entry<MeterRegistry, Meter> m : meters) {
      m.getKey().remove(m.getValue());
    }
    meters.clear();
  }
}
