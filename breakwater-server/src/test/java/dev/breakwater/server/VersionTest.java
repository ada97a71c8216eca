package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.Settings;
import dev.breakwater.testkit.TestPostgres;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/** The version is the POM's, in each place that prints it (the build passes the POM's in). */
class VersionTest {

  static final String POM_VERSION = System.getProperty("breakwater.project.version");

  @Test
  void isThePomVersion() {
    assertThat(POM_VERSION).isNotBlank();
    assertThat(Version.number()).isEqualTo(POM_VERSION);
    assertThat(Version.banner()).isEqualTo("Breakwater " + POM_VERSION);
  }

  @Test
  void versionOption() {
    StringWriter out = new StringWriter();
    int code = new CommandLine(new Main()).setOut(new PrintWriter(out)).execute("--version");
    assertThat(code).isZero();
    assertThat(out.toString().strip())
        .as("the first line is SHOW VERSION's")
        .isEqualTo("Breakwater " + POM_VERSION + " (PgBouncer 1.25.2 compatible)");
  }

  @Test
  void startupLogLine() throws Exception {
    Path dir = Files.createTempDirectory("bw-version-");
    Path ini = dir.resolve("pgbouncer.ini");
    Files.writeString(
        ini,
        "[databases]\nx = host=127.0.0.1 port=1\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = "
            + TestPostgres.freePort()
            + "\nauth_type = trust\n");
    Settings settings = ConfigLoader.load(ini);
    Logger logger = (Logger) LoggerFactory.getLogger(Breakwater.class);
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    try (Breakwater b = Breakwater.start(settings, Map.of())) {
      assertThat(lines.list)
          .first()
          .satisfies(e -> assertThat(e.getFormattedMessage()).startsWith("Breakwater " + POM_VERSION + " starting"));
    } finally {
      logger.detachAppender(lines);
      Files.deleteIfExists(ini);
      Files.deleteIfExists(dir);
    }
  }
}
