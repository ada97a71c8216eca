package dev.breakwater.server.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects the lines one logger writes while a test runs. */
final class LogCapture implements AutoCloseable {

  private final Logger logger;
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  LogCapture(Class<?> loggerOf) {
    this(loggerOf.getName());
  }

  /** The logger of a class by its name, for one the test cannot see (package-private). */
  LogCapture(String loggerName) {
    this.logger = (Logger) LoggerFactory.getLogger(loggerName);
    appender.start();
    logger.addAppender(appender);
  }

  /** Each line as "LEVEL message". */
  synchronized List<String> lines() {
    List<String> out = new ArrayList<>();
    for (ILoggingEvent e : new ArrayList<>(appender.list)) {
      out.add(e.getLevel() + " " + e.getFormattedMessage());
    }
    return out;
  }

  boolean has(String fragment) {
    return lines().stream().anyMatch(l -> l.contains(fragment));
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
  }
}
