package dev.breakwater.client;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Run in a child JVM by {@link LifecycleTest}: uses a pool from the real environment, with alerts
 * and metrics on, then returns from main without closing it. The JVM must exit on its own.
 */
public final class IdleExitMain {
  public static void main(String[] args) throws Exception {
    BreakwaterPool pool =
        BreakwaterPool.builder().name("idle-exit").meterRegistry(new SimpleMeterRegistry()).build();
    try (Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 41 + 1")) {
      rs.next();
      System.out.println("answer " + rs.getInt(1));
    }
    System.out.println(pool.health().toJson());
    System.out.println("leaving main with the pool open");
  }
}
