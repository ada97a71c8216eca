package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.stats.Alerts;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The seed's three alerts evaluated inside Breakwater, with durations of a second: each starts
 * and ends, is logged at WARN both times, and is listed in /health while active.
 */
class AlertsIT {

  static Pooler pooler;
  static int httpPort;

  @BeforeAll
  static void start() throws Exception {
    httpPort = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .poolSize(1)
            .database("deadport = dbname=bwtest port=" + TestPostgres.freePort())
            .set("http_listen_port", Integer.toString(httpPort))
            .start();
    pooler
        .breakwater()
        .observer()
        .alerts()
        .settings(new Alerts.Settings(Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(2)));
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static boolean active(Alerts.Kind kind, String database) {
    return pooler.breakwater().observer().alerts().active().stream()
        .anyMatch(a -> a.kind() == kind && a.pool().database().equals(database));
  }

  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(100);
    }
  }

  static String health() throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/health")).build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  @Test
  void waitingAndSaturatedStartAndEnd() throws Exception {
    try (LogCapture log = new LogCapture(Alerts.class);
        Connection holder = pooler.connect(Roles.PLAIN);
        Connection waiter = pooler.connect(Roles.PLAIN)) {
      holder.setAutoCommit(false);
      Sql.exec(holder, "SELECT 1");
      // The only server is held: the next client waits.
      CompletableFuture<String> waited = CompletableFuture.supplyAsync(() -> {
        try {
          return Sql.one(waiter, "SELECT 'served'");
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      await("POOL_WAITING", () -> active(Alerts.Kind.POOL_WAITING, Roles.DATABASE));
      await("POOL_SATURATED", () -> active(Alerts.Kind.POOL_SATURATED, Roles.DATABASE));
      assertThat(log.has("WARN alert POOL_WAITING started: pool bwtest/bw_plain: 1 client waiting")).isTrue();
      assertThat(log.has("WARN alert POOL_SATURATED started: pool bwtest/bw_plain: 1 of 1 servers open")).isTrue();
      String h = health();
      assertThat(h).contains("\"alert\":\"POOL_WAITING\"").contains("\"alert\":\"POOL_SATURATED\"");

      holder.commit();
      assertThat(waited.get(10, TimeUnit.SECONDS)).isEqualTo("served");
      await("POOL_WAITING to end", () -> !active(Alerts.Kind.POOL_WAITING, Roles.DATABASE));
      assertThat(log.has("WARN alert POOL_WAITING ended: pool bwtest/bw_plain: no client is waiting")).isTrue();

      // Closing the pool's servers takes it below its size.
      pooler.breakwater().control().reconnect(Roles.DATABASE);
      await("POOL_SATURATED to end", () -> !active(Alerts.Kind.POOL_SATURATED, Roles.DATABASE));
      assertThat(log.has("WARN alert POOL_SATURATED ended")).isTrue();
      assertThat(health()).doesNotContain("POOL_WAITING").doesNotContain("POOL_SATURATED");
    }
  }

  @Test
  void connectionErrorsStartAndEndWhenQuiet() throws Exception {
    try (LogCapture log = new LogCapture(Alerts.class)) {
      SqlErrors.serverError(
          () -> pooler.connect("deadport", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()).close());
      await("CONNECTION_ERRORS", () -> active(Alerts.Kind.CONNECTION_ERRORS, "deadport"));
      assertThat(log.has("WARN alert CONNECTION_ERRORS started: pool deadport/bw_plain: opening a server connection failed")).isTrue();
      assertThat(health()).contains("\"status\":\"unhealthy\"").contains("\"alert\":\"CONNECTION_ERRORS\"");
      // No new error for the quiet time (2 s here): the alert ends.
      await("CONNECTION_ERRORS to end", () -> !active(Alerts.Kind.CONNECTION_ERRORS, "deadport"));
      assertThat(log.has("WARN alert CONNECTION_ERRORS ended: pool deadport/bw_plain: no new error for 2.0 s")).isTrue();
      assertThat(health()).contains("\"status\":\"healthy\"");
    }
  }
}
