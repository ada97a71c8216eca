package dev.breakwater.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import dev.breakwater.server.config.General;
import java.nio.file.Path;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Adjusts Logback at start: the --quiet level, PgBouncer's {@code logfile} and {@code verbose}
 * settings, and Breakwater's {@code log_format}. Lines go to standard output (Logback's console
 * appender, set up by logback.xml) and, with {@code logfile}, to that file too.
 */
final class Logging {

  /** PgBouncer's line: time with its zone, level, message. */
  static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss.SSS z} %-5level %msg%n";

  private static boolean quiet;
  /** How many -v the command line had: added to the verbose setting, as PgBouncer does. */
  private static int commandLineVerbosity;

  static void commandLineVerbosity(int count) {
    commandLineVerbosity = count;
  }

  static void quiet() {
    quiet = true;
    root().setLevel(Level.WARN);
  }

  /** What the settings ask of the log, at start: format, file, verbosity, and syslog's absence. */
  static void configure(General g) {
    for (Iterator<Appender<ILoggingEvent>> it = root().iteratorForAppenders(); it.hasNext(); ) {
      Appender<ILoggingEvent> a = it.next();
      if (a instanceof OutputStreamAppender<ILoggingEvent> out && !(a instanceof FileAppender)) {
        out.stop();
        out.setEncoder(encoder(g));
        out.start();
      }
    }
    root().detachAppender("logfile");
    if (g.logfile() != null) {
      toFile(g.logfile(), encoder(g));
    }
    verbosity(g.verbose());
    if (g.syslog()) {
      LoggerFactory.getLogger(Logging.class)
          .warn("syslog = 1 is not supported: Breakwater logs to standard output{}",
              g.logfile() != null ? " and " + g.logfile() : " (and to logfile when it is set)");
    }
  }

  /**
   * PgBouncer's {@code verbose} (and -v): 1 logs Breakwater's debug lines, 2 or more its trace
   * lines too. Follows a reload. {@code --quiet} wins.
   */
  static void verbosity(int verbose) {
    if (quiet) {
      return;
    }
    verbose += commandLineVerbosity;
    Logger breakwater = (Logger) LoggerFactory.getLogger("dev.breakwater");
    breakwater.setLevel(verbose <= 0 ? null : verbose == 1 ? Level.DEBUG : Level.TRACE);
  }

  private static Encoder<ILoggingEvent> encoder(General g) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    if ("json".equals(g.logFormat())) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(ctx);
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithMDC(false);
      json.setWithKVPList(false);
      json.setWithMarkers(false);
      json.setWithArguments(false);
      json.setWithMessage(false);
      json.setWithFormattedMessage(true);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(ctx);
    text.setPattern(PATTERN);
    text.start();
    return text;
  }

  /** Also writes the log to {@code file}, appending, as PgBouncer's logfile does. */
  private static void toFile(Path file, Encoder<ILoggingEvent> encoder) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    FileAppender<ILoggingEvent> appender = new FileAppender<>();
    appender.setContext(ctx);
    appender.setName("logfile");
    appender.setFile(file.toString());
    appender.setAppend(true);
    appender.setEncoder(encoder);
    appender.start();
    root().addAppender(appender);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private Logging() {}
}
