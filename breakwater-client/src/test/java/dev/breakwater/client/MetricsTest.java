package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The seed's gauges, tagged with the pool's name, beside HikariCP's own metrics. */
class MetricsTest {

  private static double gauge(MeterRegistry r, String name, String pool) {
    return r.get(name).tag("pool", pool).gauge().value();
  }

  @Test
  void gaugesFollowThePool() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (BreakwaterPool pool = Pg.builder("metered").maxSize(4).meterRegistry(registry).build()) {
      assertThat(gauge(registry, "db.pool.max", "metered")).isEqualTo(4);
      assertThat(gauge(registry, "db.pool.total", "metered")).isZero();
      try (Connection a = pool.getConnection();
          Connection b = pool.getConnection()) {
        assertThat(gauge(registry, "db.pool.total", "metered")).isEqualTo(2);
        assertThat(gauge(registry, "db.pool.idle", "metered")).isZero();
        assertThat(gauge(registry, "db.pool.waiting", "metered")).isZero();
      }
      assertThat(gauge(registry, "db.pool.idle", "metered")).isEqualTo(2);
      // HikariCP's own meters, through its MicrometerMetricsTrackerFactory.
      assertThat(registry.get("hikaricp.connections").tag("pool", "metered").gauge().value()).isEqualTo(2);
      assertThat(registry.get("hikaricp.connections.acquire").tag("pool", "metered").timer().count())
          .isGreaterThanOrEqualTo(2);
    }
    // Closing removes the pool's gauges.
    assertThat(registry.find("db.pool.total").tag("pool", "metered").gauge()).isNull();
  }

  @Test
  void waitingCallersAreCountedAndBindToWorksAfterStart() throws Exception {
    MeterRegistry registry = new SimpleMeterRegistry();
    try (BreakwaterPool pool =
            Pg.builder("metered-late").maxSize(1).connectionTimeout(Duration.ofSeconds(3)).build();
        Connection held = pool.getConnection()) {
      pool.bindTo(registry);
      CompletableFuture<Void> waiter =
          CompletableFuture.runAsync(
              () -> {
                try (Connection c = pool.getConnection()) {
                  // got it after release
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(Pg.eventually(Duration.ofSeconds(2), () -> gauge(registry, "db.pool.waiting", "metered-late") == 1))
          .isTrue();
      assertThat(gauge(registry, "db.pool.total", "metered-late")).isEqualTo(1);
      assertThat(gauge(registry, "db.pool.max", "metered-late")).isEqualTo(1);
      held.close();
      waiter.get();
      assertThat(gauge(registry, "db.pool.waiting", "metered-late")).isZero();
      assertThat(registry.find("hikaricp.connections.pending").tag("pool", "metered-late").gauge()).isNotNull();
    }
  }
}
