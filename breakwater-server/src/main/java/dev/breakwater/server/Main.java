package dev.breakwater.server;

import dev.breakwater.server.config.ConfigException;
import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.ConfigWarning;
import dev.breakwater.server.config.Settings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The command line: {@code breakwater [--quiet] [pgbouncer.ini]}. */
@Command(
    name = "breakwater",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "A PostgreSQL connection pooler that reads PgBouncer's configuration.",
      "With no configuration file, the demo (breakwater-demo, which the source tree's bin/breakwater"
          + " runs) starts an embedded PostgreSQL 17 and pools it on 127.0.0.1:6432."
    },
    exitCodeListHeading = "%nExit status:%n",
    exitCodeList = {
      "0:stopped by a signal or SHUTDOWN, after the drain",
      "1:cannot listen on an address or port",
      "2:the configuration is wrong, or none was given and the demo is not installed",
      "3:stopped at once by a second signal"
    },
    footerHeading = "%nSignals:%n",
    footer = {
      "SIGHUP   reads the configuration again (RELOAD).",
      "SIGTERM  stops taking clients and exits once every client has left (SHUTDOWN WAIT_FOR_CLIENTS).",
      "SIGINT   stops taking clients and exits once no server is in use (SHUTDOWN WAIT_FOR_SERVERS).",
      "A second SIGTERM or SIGINT stops at once.",
      "",
      "Documentation: docs/configuration.md and docs/operations.md in the release archive."
    })
public final class Main implements Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(Main.class);

  @Option(names = {"-q", "--quiet"}, description = "Log only warnings and errors.")
  boolean quiet;

  @Option(
      names = "--settings",
      paramLabel = "FILE",
      description = "An ini file read after pgbouncer.ini, at start and at each reload: Breakwater's own settings"
          + " (http_*, tls_provider, log_format...) can live there, so that pgbouncer.ini stays readable by"
          + " PgBouncer. BREAKWATER_<SETTING> environment variables set them too.")
  Path settingsFile;

  @Option(
      names = "-v",
      description = "More log: Breakwater's debug lines; twice, its trace lines too (adds to the verbose setting).")
  boolean[] verbose = new boolean[0];

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "pgbouncer.ini",
      description = "PgBouncer-format configuration file.")
  Path config;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  /** Printed when no file is given and the demo is not installed (the release archive). */
  static final String NO_CONFIG =
      String.join(
          "\n",
          "breakwater: no configuration file given.",
          "Usage: breakwater [--quiet] path/to/pgbouncer.ini (an example is in etc/pgbouncer.ini).",
          "The demo that runs without one, an embedded PostgreSQL, is not part of this installation:",
          "it is in the source tree (mvn -B -q -DskipTests package && bin/breakwater).");

  /** Exit codes. */
  static final int EXIT_OK = 0;
  static final int EXIT_LISTEN = 1;
  static final int EXIT_CONFIG = 2;
  static final int EXIT_IMMEDIATE = 3;

  /**
   * bin/breakwater runs the JVM as its child (so that SIGQUIT can stop it) and says so with
   * BREAKWATER_LAUNCHER=1: should the launcher itself be killed (SIGKILL from a supervisor), the
   * JVM stops at once too rather than run on as an orphan holding the port.
   */
  private static void followLauncher() {
    if (!"1".equals(System.getenv("BREAKWATER_LAUNCHER"))) {
      return;
    }
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> {
      log.warn("bin/breakwater (pid {}) is gone: stopping at once", parent.pid());
      Runtime.getRuntime().halt(EXIT_IMMEDIATE);
    }));
  }

  @Override
  public Integer call() throws Exception {
    if (quiet) {
      Logging.quiet();
    }
    Logging.commandLineVerbosity(verbose.length);
    dev.breakwater.server.config.ConfigLoader.overlay(
        new dev.breakwater.server.config.ConfigLoader.Overlay(
            settingsFile == null ? null : settingsFile.toAbsolutePath(), System.getenv()));
    followLauncher();
    Demo.Starter starter = config == null ? Demo.starter().orElse(null) : null;
    if (config == null && starter == null) {
      System.err.println(NO_CONFIG);
      return EXIT_CONFIG;
    }
    Signals signals = Signals.install();
    Demo demo = null;
    Breakwater b;
    if (config == null) {
      try {
        demo = starter.start(6432);
      } catch (io.netty.channel.ChannelException e) {
        System.err.println("breakwater: " + e.getMessage());
        return EXIT_LISTEN;
      }
      System.out.println(demo.banner());
      b = demo.breakwater();
    } else {
      try {
        Settings settings = ConfigLoader.load(config);
        Logging.configure(settings.general());
        for (ConfigWarning w : settings.warnings()) {
          log.warn("{}", w);
        }
        b = Breakwater.start(settings, Breakwater.loadSecrets(settings));
        writePidFile(settings.general().pidfile());
      } catch (ConfigException e) {
        System.err.println("breakwater: " + e.getMessage());
        return EXIT_CONFIG;
      } catch (io.netty.channel.ChannelException e) {
        log.error("{}", e.getMessage());
        System.err.println("breakwater: " + e.getMessage());
        return EXIT_LISTEN;
      }
    }
    int code = signals.await(b);
    if (demo != null) {
      demo.close();
    }
    return code;
  }

  private static void writePidFile(Path pidfile) throws IOException {
    if (pidfile == null) {
      return;
    }
    Files.writeString(pidfile, ProcessHandle.current().pid() + "\n");
    pidfile.toFile().deleteOnExit();
  }
}
