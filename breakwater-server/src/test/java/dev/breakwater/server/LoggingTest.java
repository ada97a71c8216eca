package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.General;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** log_format, logfile and verbose as Main applies them at start. */
class LoggingTest {

  private static final Logger log = LoggerFactory.getLogger("dev.breakwater.server.LoggingTest");

  @TempDir Path dir;

  private General settings(String lines) throws Exception {
    return ConfigLoader.load("[pgbouncer]\n" + lines, dir.resolve("pgbouncer.ini")).general();
  }

  @AfterEach
  void restore() throws Exception {
    Logging.configure(settings(""));
  }

  @Test
  void textLinesCarryTheTimeZoneAsPgBouncersDo() throws Exception {
    Path file = dir.resolve("bw.log");
    Logging.configure(settings("logfile = " + file + "\n"));
    log.info("hello {}", "text");
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).anySatisfy(l -> assertThat(l)
        .matches("\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3} \\S+ INFO  hello text"));
  }

  @Test
  void jsonLinesAreOneObjectEachWithTheFormattedMessage() throws Exception {
    Path file = dir.resolve("bw.json");
    Logging.configure(settings("logfile = " + file + "\nlog_format = json\n"));
    log.warn("C-1 db/user: \"quoted\" {}", "value");
    List<String> lines = Files.readAllLines(file);
    assertThat(lines).anySatisfy(l -> assertThat(l)
        .startsWith("{")
        .endsWith("}")
        .contains("\"level\":\"WARN\"")
        .contains("\"loggerName\":\"dev.breakwater.server.LoggingTest\"")
        .contains("\"formattedMessage\":\"C-1 db\\/user: \\\"quoted\\\" value\"")
        .doesNotContain("sequenceNumber"));
  }

  @Test
  void verboseTurnsBreakwatersDebugLinesOn() throws Exception {
    assertThat(log.isDebugEnabled()).isFalse();
    Logging.configure(settings("verbose = 1\n"));
    assertThat(log.isDebugEnabled()).isTrue();
    assertThat(log.isTraceEnabled()).isFalse();
    Logging.verbosity(2);
    assertThat(log.isTraceEnabled()).isTrue();
    Logging.verbosity(0);
    assertThat(log.isDebugEnabled()).isFalse();
  }

  @Test
  void aBadFormatIsAConfigurationError() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> settings("log_format = xml\n"))
        .hasMessageContaining("log_format")
        .hasMessageContaining("text or json");
  }
}
