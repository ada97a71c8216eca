package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import java.sql.Connection;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** A connection held past the threshold is logged with the stack trace of the code that took it. */
class LeakDetectionTest {

  @Test
  void aConnectionHeldTooLongIsReportedWithItsBorrowersStack() throws Exception {
    try (Pg.Captured log = Pg.capture("com.zaxxer.hikari.pool.ProxyLeakTask");
        BreakwaterPool pool =
            Pg.builder("leaky").leakDetectionThreshold(Duration.ofSeconds(2)).build()) {
      try (Connection c = borrowHere(pool)) {
        assertThat(
                Pg.eventually(
                    Duration.ofSeconds(6),
                    () -> log.events().stream().anyMatch(e -> e.getLevel() == Level.WARN)))
            .isTrue();
      }
      ILoggingEvent leak = log.events().stream().filter(e -> e.getLevel() == Level.WARN).findFirst().orElseThrow();
      assertThat(leak.getFormattedMessage()).contains("leak");
      IThrowableProxy trace = leak.getThrowableProxy();
      assertThat(trace).isNotNull();
      assertThat(Arrays.stream(trace.getStackTraceElementProxyArray()).map(StackTraceElementProxy::getSTEAsString))
          .anySatisfy(line -> assertThat(line).contains("LeakDetectionTest.borrowHere"));
    }
  }

  @Test
  void aConnectionReturnedInTimeIsNotReported() throws Exception {
    try (Pg.Captured log = Pg.capture("com.zaxxer.hikari.pool.ProxyLeakTask");
        BreakwaterPool pool =
            Pg.builder("tidy").leakDetectionThreshold(Duration.ofSeconds(2)).build()) {
      borrowHere(pool).close();
      Thread.sleep(2500);
      assertThat(log.events()).noneMatch(e -> e.getLevel() == Level.WARN);
    }
  }

  private static Connection borrowHere(BreakwaterPool pool) throws Exception {
    return pool.getConnection();
  }
}
