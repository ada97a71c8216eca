package example;

import dev.breakwater.client.BreakwaterPool;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;
import org.springframework.boot.CommandLineRunner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * A Spring Boot application whose DataSource is a Breakwater pool, from the starter alone: set
 * DATABASE_URL (and APP_ENV), run, and it queries once, prints the pool's Actuator health, and
 * ends.
 */
@SpringBootApplication
public class OrdersApplication {

  public static void main(String[] args) {
    SpringApplication.run(OrdersApplication.class, args).close();
  }

  @Bean
  CommandLineRunner report(DataSource dataSource, HealthIndicator breakwaterHealthIndicator) {
    return args -> {
      try (Connection c = dataSource.getConnection();
          Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT 'hello from ' || current_database()")) {
        rs.next();
        System.out.println(rs.getString(1));
      }
      BreakwaterPool pool = (BreakwaterPool) dataSource;
      System.out.println("pool " + pool.name() + ", max " + pool.settings().maxSize());
      System.out.println("health " + breakwaterHealthIndicator.health().getStatus());
    };
  }
}
