package dev.breakwater.spring;

import dev.breakwater.client.BreakwaterPool;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/** The pool's health check as Actuator's {@code breakwater} component, when Actuator is there. */
@AutoConfiguration(after = BreakwaterAutoConfiguration.class)
@ConditionalOnClass(HealthIndicator.class)
@ConditionalOnBean(BreakwaterPool.class)
public class BreakwaterHealthAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "breakwaterHealthIndicator")
  public HealthIndicator breakwaterHealthIndicator(BreakwaterPool pool) {
    return new PoolHealthIndicator(pool);
  }
}
