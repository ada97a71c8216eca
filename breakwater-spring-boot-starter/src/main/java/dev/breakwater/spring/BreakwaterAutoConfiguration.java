package dev.breakwater.spring;

import dev.breakwater.client.BreakwaterPool;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * A {@link BreakwaterPool} as the application's {@link DataSource}, before Spring Boot's own
 * DataSource auto-configuration (which then backs off), unless the application defines a
 * DataSource itself or sets {@code breakwater.pool.enabled=false}.
 *
 * <p>The pool reads its settings as it does in any function: {@code DATABASE_URL}, {@code APP_ENV}
 * and the {@code DATABASE_POOL_*} variables (docs/client.md), here looked up through Spring's
 * {@link Environment}, so that {@code application.properties}, profiles and system properties can
 * set them as environment variables can. Without {@code DATABASE_URL}, Spring's own {@code
 * spring.datasource.url}, {@code .username} and {@code .password} are used. Spring closes the pool
 * with the context; its JVM shutdown hook is off.
 *
 * <p>With Spring Boot Actuator, a {@code breakwater} health indicator reports the pool's health
 * check ({@code SELECT 1}) and counts; with Micrometer, the pool's gauges ({@code db.pool.*}) and
 * HikariCP's are bound to the application's registries.
 */
@AutoConfiguration(before = DataSourceAutoConfiguration.class)
@ConditionalOnClass(BreakwaterPool.class)
@ConditionalOnProperty(prefix = "breakwater.pool", name = "enabled", matchIfMissing = true)
public class BreakwaterAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(DataSource.class)
  public BreakwaterPool breakwaterPool(Environment env) {
    BreakwaterPool.Builder b =
        BreakwaterPool.builder()
            .environment(env::getProperty)
            .name(env.getProperty("breakwater.pool.name", env.getProperty("spring.application.name", "app")))
            .shutdownHook(false);
    if (env.getProperty("DATABASE_URL") == null && env.getProperty("spring.datasource.url") != null) {
      b.url(env.getProperty("spring.datasource.url"));
      String user = env.getProperty("spring.datasource.username");
      if (user != null) {
        b.user(user);
      }
      String password = env.getProperty("spring.datasource.password");
      if (password != null) {
        b.password(password);
      }
    }
    return b.build();
  }
}
