package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.zaxxer.hikari.HikariDataSource;
import dev.breakwater.testkit.TestPostgres;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The seed's three alerts, with durations shortened so they start and end within a test. */
class AlertsTest {

  private static final AlertSettings FAST =
      new AlertSettings(Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofMillis(400), Duration.ofMillis(50));

  private static boolean has(List<AlertEvent> events, Alert alert, AlertEvent.State state) {
    return events.stream().anyMatch(e -> e.alert() == alert && e.state() == state);
  }

  @Test
  void waitingAndSaturationStartAndEnd() throws Exception {
    List<AlertEvent> events = new CopyOnWriteArrayList<>();
    try (Pg.Captured log = Pg.capture(AlertMonitor.class.getName());
        BreakwaterPool pool =
            Pg.builder("alerting")
                .maxSize(1)
                .connectionTimeout(Duration.ofSeconds(5))
                .alerts(true)
                .alertSettings(FAST)
                .alertListener(events::add)
                .build()) {
      Connection held = pool.getConnection();
      CompletableFuture<Void> waiter =
          CompletableFuture.runAsync(
              () -> {
                try (Connection c = pool.getConnection()) {
                  Thread.sleep(100);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              });
      assertThat(Pg.eventually(Duration.ofSeconds(3), () -> has(events, Alert.POOL_WAITING, AlertEvent.State.STARTED)))
          .isTrue();
      assertThat(Pg.eventually(Duration.ofSeconds(1), () -> has(events, Alert.POOL_SATURATED, AlertEvent.State.STARTED)))
          .isTrue();
      assertThat(has(events, Alert.POOL_WAITING, AlertEvent.State.ENDED)).isFalse();

      AlertEvent started =
          events.stream().filter(e -> e.alert() == Alert.POOL_WAITING).findFirst().orElseThrow();
      assertThat(started.pool()).isEqualTo("alerting");
      assertThat(started.lasted()).isGreaterThan(Duration.ofMillis(300));
      assertThat(started.stats().waiting()).isEqualTo(1);
      assertThat(started.message()).contains("POOL_WAITING started").contains("waiting 1");

      held.close();
      waiter.get();
      assertThat(Pg.eventually(Duration.ofSeconds(3), () -> has(events, Alert.POOL_WAITING, AlertEvent.State.ENDED)))
          .isTrue();
      // total == max holds while the idle connection stays open; evicting it ends the alert.
      assertThat(has(events, Alert.POOL_SATURATED, AlertEvent.State.ENDED)).isFalse();
      pool.unwrap(HikariDataSource.class).getHikariPoolMXBean().softEvictConnections();
      assertThat(Pg.eventually(Duration.ofSeconds(3), () -> has(events, Alert.POOL_SATURATED, AlertEvent.State.ENDED)))
          .isTrue();

      assertThat(log.events())
          .anySatisfy(
              e -> {
                assertThat(e.getLevel()).isEqualTo(Level.WARN);
                assertThat(e.getFormattedMessage()).contains("pool 'alerting' POOL_WAITING started");
              });
      assertThat(log.events())
          .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("POOL_SATURATED ended"));
    }
  }

  @Test
  void connectionErrorsStartAndEndAfterAQuietPeriod() throws Exception {
    List<AlertEvent> events = new CopyOnWriteArrayList<>();
    int deadPort = TestPostgres.freePort();
    try (Pg.Captured log = Pg.capture(AlertMonitor.class.getName());
        BreakwaterPool pool =
            Pg.builder("alert-errors")
                .url("postgres://u:p@127.0.0.1:" + deadPort + "/db")
                .connectionTimeout(Duration.ofMillis(300))
                .alerts(true)
                .alertSettings(FAST)
                .alertListener(events::add)
                .build()) {
      try (Connection c = pool.getConnection()) {
        throw new AssertionError("nothing listens there");
      } catch (java.sql.SQLException expected) {
        // the alert is what we look at
      }
      assertThat(
              Pg.eventually(Duration.ofSeconds(3), () -> has(events, Alert.CONNECTION_ERRORS, AlertEvent.State.STARTED)))
          .isTrue();
      AlertEvent started = events.stream().filter(e -> e.alert() == Alert.CONNECTION_ERRORS).findFirst().orElseThrow();
      assertThat(started.detail()).contains("failed attempt").contains("SQLSTATE 08001");
      assertThat(started.message()).contains("check the database's status and the credentials");
      assertThat(
              Pg.eventually(Duration.ofSeconds(4), () -> has(events, Alert.CONNECTION_ERRORS, AlertEvent.State.ENDED)))
          .isTrue();
      assertThat(log.events())
          .anySatisfy(
              e -> {
                assertThat(e.getLevel()).isEqualTo(Level.WARN);
                assertThat(e.getFormattedMessage()).contains("CONNECTION_ERRORS started");
              });
    }
  }

  @Test
  void connectionErrorsEndWhenAConnectionSucceeds() throws Exception {
    List<AlertEvent> events = new CopyOnWriteArrayList<>();
    TestPostgres pg = TestPostgres.startPrivate();
    try (BreakwaterPool pool =
        Pg.builder(pg, "alert-recovers")
            .connectionTimeout(Duration.ofMillis(400))
            .alerts(true)
            .alertSettings(new AlertSettings(Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofMinutes(5), Duration.ofMillis(50)))
            .alertListener(events::add)
            .build()) {
      pg.stop();
      try (Connection c = pool.getConnection()) {
        throw new AssertionError("server is down");
      } catch (java.sql.SQLException expected) {
        // counted as connection errors
      }
      assertThat(
              Pg.eventually(Duration.ofSeconds(3), () -> has(events, Alert.CONNECTION_ERRORS, AlertEvent.State.STARTED)))
          .isTrue();
      pg.start();
      pool.getConnection().close();
      // The quiet period is five minutes: only the successful connection can end it this soon.
      assertThat(
              Pg.eventually(Duration.ofSeconds(3), () -> has(events, Alert.CONNECTION_ERRORS, AlertEvent.State.ENDED)))
          .isTrue();
    } finally {
      pg.close();
    }
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() throws Exception {
    List<AlertEvent> events = new CopyOnWriteArrayList<>();
    int deadPort = TestPostgres.freePort();
    try (BreakwaterPool pool =
        Pg.builder("alert-listeners")
            .url("postgres://u:p@127.0.0.1:" + deadPort + "/db")
            .connectionTimeout(Duration.ofMillis(300))
            .alerts(true)
            .alertSettings(FAST)
            .alertListener(e -> {
              throw new IllegalStateException("broken listener");
            })
            .alertListener(events::add)
            .build()) {
      assertThat(pool.health().healthy()).isFalse();
      assertThat(Pg.eventually(Duration.ofSeconds(3), () -> !events.isEmpty())).isTrue();
    }
  }
}
