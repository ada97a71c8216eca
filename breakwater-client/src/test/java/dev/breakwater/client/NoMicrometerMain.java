package dev.breakwater.client;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Run in a child JVM by {@link WithoutMicrometerTest}, whose classpath has no Micrometer: a pool
 * with alerts, health and a query, as a function without metrics uses it.
 */
public final class NoMicrometerMain {
  public static void main(String[] args) throws Exception {
    try {
      Class.forName("io.micrometer.core.instrument.MeterRegistry");
      System.out.println("micrometer is on the classpath");
      return;
    } catch (ClassNotFoundException expected) {
      System.out.println("no micrometer");
    }
    try (BreakwaterPool pool = BreakwaterPool.builder().name("no-micrometer").alerts(true).build();
        Connection c = pool.getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT 40 + 2")) {
      rs.next();
      System.out.println("answer " + rs.getInt(1));
      System.out.println(pool.health().toJson());
    }
  }
}
