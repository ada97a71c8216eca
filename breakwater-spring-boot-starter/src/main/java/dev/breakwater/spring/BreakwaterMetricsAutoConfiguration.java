package dev.breakwater.spring;

import dev.breakwater.client.BreakwaterPool;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;

/**
 * The pool's gauges ({@code db.pool.*}) and HikariCP's in every Micrometer registry Spring Boot
 * configures (it binds {@link MeterBinder} beans), when Micrometer is there.
 */
@AutoConfiguration(after = BreakwaterAutoConfiguration.class)
@ConditionalOnClass(MeterBinder.class)
@ConditionalOnBean(BreakwaterPool.class)
public class BreakwaterMetricsAutoConfiguration {

  @Bean
  public MeterBinder breakwaterPoolMetrics(BreakwaterPool pool) {
    return pool::bindTo;
  }
}
