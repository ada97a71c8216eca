package dev.breakwater.client;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.time.Duration;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.slf4j.LoggerFactory;

/** Shared helpers: URLs for the embedded PostgreSQL, a builder that reads no real environment. */
final class Pg {

  static TestPostgres shared() {
    return TestPostgres.shared();
  }

  /** {@code postgres://bw_scram:bw_scram_pw@127.0.0.1:port/bwtest} */
  static String url(TestPostgres pg) {
    return "postgres://"
        + Roles.SCRAM
        + ":"
        + Roles.password(Roles.SCRAM)
        + "@"
        + pg.host()
        + ":"
        + pg.port()
        + "/"
        + Roles.DATABASE;
  }

  /** A builder on the shared server with an empty environment, no shutdown hook and no alerts. */
  static BreakwaterPool.Builder builder(String name) {
    return builder(shared(), name);
  }

  static BreakwaterPool.Builder builder(TestPostgres pg, String name) {
    return BreakwaterPool.builder()
        .environment(Map.of())
        .url(url(pg))
        .name(name)
        .shutdownHook(false)
        .alerts(false);
  }

  /** Waits up to {@code timeout} for the condition. */
  static boolean eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return true;
      }
      Thread.sleep(20);
    }
    return condition.getAsBoolean();
  }

  /** Captures what a logger writes until {@link Captured#close()}. */
  static Captured capture(String loggerName) {
    Logger logger = (Logger) LoggerFactory.getLogger(loggerName);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    return new Captured(logger, appender);
  }

  static final class Captured implements AutoCloseable {
    final Logger logger;
    final ListAppender<ILoggingEvent> appender;

    Captured(Logger logger, ListAppender<ILoggingEvent> appender) {
      this.logger = logger;
      this.appender = appender;
    }

    java.util.List<ILoggingEvent> events() {
      synchronized (appender.list) {
        return java.util.List.copyOf(appender.list);
      }
    }

    @Override
    public void close() {
      logger.detachAppender(appender);
      appender.stop();
    }
  }

  private Pg() {}
}
