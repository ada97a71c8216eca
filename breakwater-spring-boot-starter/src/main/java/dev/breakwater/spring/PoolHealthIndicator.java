package dev.breakwater.spring;

import dev.breakwater.client.BreakwaterPool;
import dev.breakwater.client.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * Actuator's view of {@link BreakwaterPool#health()}: UP with the pool's counts after a {@code
 * SELECT 1}, DOWN with the error (a full pool, a database that does not answer).
 */
final class PoolHealthIndicator implements HealthIndicator {

  private final BreakwaterPool pool;

  PoolHealthIndicator(BreakwaterPool pool) {
    this.pool = pool;
  }

  @Override
  public org.springframework.boot.actuate.health.Health health() {
    Health h = pool.health();
    if (h.healthy()) {
      return org.springframework.boot.actuate.health.Health.up()
          .withDetail("pool", pool.name())
          .withDetail("total", h.pool().total())
          .withDetail("idle", h.pool().idle())
          .withDetail("waiting", h.pool().waiting())
          .withDetail("max", pool.settings().maxSize())
          .build();
    }
    return org.springframework.boot.actuate.health.Health.down()
        .withDetail("pool", pool.name())
        .withDetail("error", h.error())
        .build();
  }
}
