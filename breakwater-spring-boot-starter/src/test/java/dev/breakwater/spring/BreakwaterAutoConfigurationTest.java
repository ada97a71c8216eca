package dev.breakwater.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.client.BreakwaterPool;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The starter in a Spring context, against the embedded PostgreSQL. */
class BreakwaterAutoConfigurationTest {

  private final TestPostgres pg = TestPostgres.shared();

  private String url() {
    return "postgresql://" + Roles.PLAIN + ":" + Roles.password(Roles.PLAIN) + "@" + pg.host() + ":" + pg.port()
        + "/" + Roles.DATABASE;
  }

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(
              AutoConfigurations.of(
                  BreakwaterAutoConfiguration.class,
                  BreakwaterHealthAutoConfiguration.class,
                  BreakwaterMetricsAutoConfiguration.class,
                  DataSourceAutoConfiguration.class));

  @Test
  void thePoolIsTheDataSourceWithItsHealthAndGauges() {
    runner
        .withPropertyValues("DATABASE_URL=" + url(), "APP_ENV=production", "spring.application.name=orders")
        .run(ctx -> {
          assertThat(ctx).hasSingleBean(DataSource.class);
          DataSource ds = ctx.getBean(DataSource.class);
          assertThat(ds).isInstanceOf(BreakwaterPool.class);
          BreakwaterPool pool = (BreakwaterPool) ds;
          assertThat(pool.name()).isEqualTo("orders");
          assertThat(pool.settings().maxSize()).as("production's profile").isEqualTo(5);
          try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery("SELECT current_user")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo(Roles.PLAIN);
          }
          HealthIndicator health = ctx.getBean("breakwaterHealthIndicator", HealthIndicator.class);
          org.springframework.boot.actuate.health.Health h = health.health();
          assertThat(h.getStatus()).isEqualTo(Status.UP);
          assertThat(h.getDetails()).containsEntry("pool", "orders").containsEntry("max", 5).containsKey("idle");
          MeterRegistry registry = new SimpleMeterRegistry();
          ctx.getBean(MeterBinder.class).bindTo(registry);
          assertThat(registry.get("db.pool.max").tag("pool", "orders").gauge().value()).isEqualTo(5.0);
        });
  }

  @Test
  void springDatasourcePropertiesServeWhenThereIsNoDatabaseUrl() {
    runner
        .withPropertyValues(
            "spring.datasource.url=jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE,
            "spring.datasource.username=" + Roles.PLAIN,
            "spring.datasource.password=" + Roles.password(Roles.PLAIN))
        .run(ctx -> {
          DataSource ds = ctx.getBean(DataSource.class);
          assertThat(ds).isInstanceOf(BreakwaterPool.class);
          try (Connection c = ds.getConnection(); ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
            assertThat(rs.next()).isTrue();
          }
        });
  }

  @Test
  void aDownDatabaseIsReportedDown() {
    int closed = TestPostgres.freePort();
    runner
        .withPropertyValues(
            "DATABASE_URL=postgresql://u:p@127.0.0.1:" + closed + "/x", "APP_ENV=preview")
        .run(ctx -> {
          org.springframework.boot.actuate.health.Health h =
              ctx.getBean("breakwaterHealthIndicator", HealthIndicator.class).health();
          assertThat(h.getStatus()).isEqualTo(Status.DOWN);
          assertThat(h.getDetails()).containsKey("error");
        });
  }

  @Test
  void anApplicationsOwnDataSourceOrTheSwitchTurnsItOff() {
    runner
        .withPropertyValues(
            "DATABASE_URL=" + url(),
            "breakwater.pool.enabled=false",
            "spring.datasource.url=jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE)
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(BreakwaterPool.class);
          assertThat(ctx.getBean(DataSource.class)).as("Spring Boot's own, then").isInstanceOf(com.zaxxer.hikari.HikariDataSource.class);
        });
    runner
        .withPropertyValues("DATABASE_URL=" + url())
        .withBean("mine", DataSource.class, org.postgresql.ds.PGSimpleDataSource::new)
        .run(ctx -> {
          assertThat(ctx).doesNotHaveBean(BreakwaterPool.class);
          assertThat(ctx).doesNotHaveBean("breakwaterHealthIndicator").doesNotHaveBean(MeterBinder.class);
        });
  }
}
