package dev.breakwater.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.testkit.TempFiles;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The release archive as a user gets it: unpacked to a temporary directory, {@code
 * bin/breakwater etc/it.ini} pools the test PostgreSQL and pgjdbc connects through it.
 */
class ArchiveIT {

  static final String VERSION = System.getProperty("breakwater.project.version");
  static final Path ARCHIVE = Path.of(System.getProperty("breakwater.archive"));

  static Path unpacked;
  static Path home;

  @BeforeAll
  static void unpack() throws Exception {
    unpacked = Files.createTempDirectory("bw-dist-");
    run(unpacked, "tar", "xzf", ARCHIVE + ".tar.gz");
    home = unpacked.resolve("breakwater-" + VERSION);
  }

  @AfterAll
  static void delete() {
    TempFiles.delete(unpacked);
  }

  @Test
  void holdsWhatAnInstallNeedsAndNotTheDemo() throws Exception {
    for (String file :
        List.of(
            "LICENSE", "NOTICE", "README.md", "CHANGELOG.md", "docs/configuration.md",
            "docs/operations.md", "docs/man/breakwater.adoc", "etc/pgbouncer.ini",
            "etc/userlist.txt", "contrib/systemd/breakwater.service",
            "lib/breakwater-server-" + VERSION + ".jar", "lib/breakwater-client-" + VERSION + ".jar")) {
      assertThat(home.resolve(file)).as(file).isRegularFile();
    }
    assertThat(Files.getPosixFilePermissions(home.resolve("bin/breakwater")))
        .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
    if (Files.isExecutable(Path.of("/usr/bin/asciidoctor"))) {
      assertThat(Files.readString(home.resolve("man/man1/breakwater.1")))
          .contains(".TH \"BREAKWATER\" \"1\"")
          .contains(VERSION);
    }
    List<String> jars = list(home.resolve("lib"));
    assertThat(jars).noneMatch(j -> j.contains("postgres"));
    assertThat(jars).noneMatch(j -> j.contains("HikariCP"));
    long bytes = 0;
    for (String j : jars) {
      bytes += Files.size(home.resolve("lib").resolve(j));
    }
    assertThat(jars).as("native libraries for x86-64 and 64-bit ARM Linux")
        .contains(
            "netty-tcnative-boringssl-static-2.0.84.Final-linux-x86_64.jar",
            "netty-tcnative-boringssl-static-2.0.84.Final-linux-aarch_64.jar")
        .anyMatch(j -> j.startsWith("netty-transport-native-epoll") && j.endsWith("linux-aarch_64.jar"))
        .anyMatch(j -> j.startsWith("netty-transport-native-epoll") && j.endsWith("linux-x86_64.jar"))
        .noneMatch(j -> j.contains("osx") || j.contains("windows"));
    // About 12.8 MB: BoringSSL (netty-tcnative) is 1.4 MB for x86-64 and 1.3 MB for ARM.
    assertThat(bytes).as("lib/ in bytes").isLessThan(15_000_000L);
  }

  @Test
  void zipHoldsTheSameFiles() throws Exception {
    List<String> tar = new ArrayList<>(List.of(run(unpacked, "tar", "tzf", ARCHIVE + ".tar.gz").split("\n")));
    List<String> zip = new ArrayList<>();
    try (ZipFile z = new ZipFile(ARCHIVE + ".zip")) {
      z.stream().forEach(e -> zip.add(e.getName()));
    }
    tar.removeIf(n -> n.endsWith("/"));
    zip.removeIf(n -> n.endsWith("/"));
    Collections.sort(tar);
    Collections.sort(zip);
    assertThat(zip).isEqualTo(tar);
  }

  @Test
  void versionFromAnyDirectoryThroughASymbolicLink() throws Exception {
    Path elsewhere = Files.createTempDirectory(unpacked, "elsewhere-");
    Path link = Files.createSymbolicLink(elsewhere.resolve("breakwater"), home.resolve("bin/breakwater"));
    assertThat(run(elsewhere, link.toString(), "--version").strip()).isEqualTo("Breakwater " + VERSION + " (PgBouncer 1.25.2 compatible)");
    assertThat(run(elsewhere, "java", "-jar", home.resolve("lib/breakwater-server-" + VERSION + ".jar").toString(), "--version").strip())
        .isEqualTo("Breakwater " + VERSION + " (PgBouncer 1.25.2 compatible)");
    assertThat(run(elsewhere, link.toString(), "plan", "--db-max-connections", "100", "--instances", "10"))
        .isNotBlank();
  }

  @Test
  void withoutAConfigurationItSaysTheDemoIsNotHere() throws Exception {
    Path out = unpacked.resolve("no-config.out");
    Process p =
        new ProcessBuilder(home.resolve("bin/breakwater").toString())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("exited; output: %s", Files.readString(out)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(Files.readString(out)).contains("breakwater: no configuration file given.");
  }

  @Test
  void poolsPostgresAndDrainsOnSigterm() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    int port = TestPostgres.freePort();
    int httpPort = TestPostgres.freePort();
    Files.writeString(
        home.resolve("etc/it-userlist.txt"),
        "\"" + Roles.PLAIN + "\" \"" + Roles.password(Roles.PLAIN) + "\"\n");
    Files.writeString(
        home.resolve("etc/it.ini"),
        String.join(
            "\n",
            "[databases]",
            Roles.DATABASE + " = host=" + pg.host() + " port=" + pg.port() + " dbname=" + Roles.DATABASE,
            "[pgbouncer]",
            "listen_addr = 127.0.0.1",
            "listen_port = " + port,
            "unix_socket_dir =",
            "auth_type = scram-sha-256",
            "auth_file = it-userlist.txt",
            "pool_mode = transaction",
            "http_listen_addr = 127.0.0.1",
            "http_listen_port = " + httpPort,
            "log_format = json",
            ""));
    Path log = unpacked.resolve("breakwater.out");
    ProcessBuilder pb =
        new ProcessBuilder("bin/breakwater", "etc/it.ini")
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("BREAKWATER_EXTRA_JAVA_OPTS", "-Dbreakwater.it.extra=1");
    // The launcher runs JAVA_HOME's java: the one this test runs on.
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("BREAKWATER_JAVA_OPTS");
    Process p = pb.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(log).contains("HTTP endpoint on")) {
        assertThat(p.isAlive()).as("running; its output: %s", Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as("started within 30 s").isLessThan(deadline);
        Thread.sleep(100);
      }
      assertThat(Files.readString(log)).contains("Breakwater " + VERSION + " starting");
      assertThat(Files.readAllLines(log))
          .as("log_format = json: the JSON lines")
          .anySatisfy(l -> assertThat(l).startsWith("{").contains("\"formattedMessage\":\"listening on"));
      java.util.List<String> jvmArgs =
          p.toHandle().children().flatMap(c -> c.info().arguments().stream()).flatMap(java.util.Arrays::stream).toList();
      assertThat(jvmArgs)
          .as("BREAKWATER_EXTRA_JAVA_OPTS added to the JVM's options")
          .contains("-Dbreakwater.it.extra=1", "-XX:+UseParallelGC");
      if (Runtime.version().feature() >= 25) {
        assertThat(jvmArgs).as("compact object headers on Java 25 and newer").contains("-XX:+UseCompactObjectHeaders");
      } else {
        assertThat(jvmArgs).as("no compact object headers before Java 25").doesNotContain("-XX:+UseCompactObjectHeaders");
      }
      Properties props = new Properties();
      props.setProperty("user", Roles.PLAIN);
      props.setProperty("password", Roles.password(Roles.PLAIN));
      try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + Roles.DATABASE, props);
          Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT current_user")) {
        assertThat(r.next()).isTrue();
        assertThat(r.getString(1)).isEqualTo(Roles.PLAIN);
      }
      HttpResponse<String> live =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/live"))
                      .timeout(Duration.ofSeconds(5))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(live.statusCode()).isEqualTo(200);
      p.destroy(); // SIGTERM, passed on to the JVM by bin/breakwater: no client is left, so it exits
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("stopped within 30 s").isTrue();
      assertThat(p.exitValue()).as("exit status; output: %s", Files.readString(log)).isZero();
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void sigquitStopsAtOnceAsPgbouncersImmediateShutdown() throws Exception {
    // HotSpot keeps SIGQUIT for its thread dump; bin/breakwater turns it into stopping the JVM.
    int port = TestPostgres.freePort();
    int httpPort = TestPostgres.freePort();
    Files.writeString(
        home.resolve("etc/quit.ini"),
        String.join("\n", "[databases]", "[pgbouncer]", "listen_addr = 127.0.0.1", "listen_port = " + port,
            "unix_socket_dir =", "auth_type = trust", "http_listen_addr = 127.0.0.1",
            "http_listen_port = " + httpPort, ""));
    Path log = unpacked.resolve("breakwater-quit.out");
    // A process started by a JVM inherits SIGQUIT blocked (the JVM blocks it in all but one
    // thread), and a shell cannot unblock it; perl (Debian's essential perl-base) can.
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/perl")), "perl unblocks SIGQUIT for the launcher");
    Process p =
        new ProcessBuilder("/usr/bin/perl", "-e",
                "use POSIX; sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGQUIT)); exec @ARGV or die $!",
                "bin/breakwater", "etc/quit.ini")
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(log).contains("HTTP endpoint on")) {
        assertThat(p.isAlive()).as("running; its output: %s", Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as("started within 30 s").isLessThan(deadline);
        Thread.sleep(100);
      }
      List<ProcessHandle> jvm = p.descendants().toList();
      assertThat(jvm).as("the JVM runs as the launcher's child").isNotEmpty();
      new ProcessBuilder("kill", "-QUIT", Long.toString(p.pid())).start().waitFor();
      assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("stopped within 10 s of SIGQUIT").isTrue();
      for (ProcessHandle h : jvm) {
        h.onExit().get(10, TimeUnit.SECONDS);
        assertThat(h.isAlive()).isFalse();
      }
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void theJvmDoesNotOutliveAKilledLauncher() throws Exception {
    int port = TestPostgres.freePort();
    Files.writeString(
        home.resolve("etc/orphan.ini"),
        String.join("\n", "[databases]", "[pgbouncer]", "listen_addr = 127.0.0.1", "listen_port = " + port,
            "unix_socket_dir =", "auth_type = trust", ""));
    Path log = unpacked.resolve("breakwater-orphan.out");
    Process p =
        new ProcessBuilder("bin/breakwater", "etc/orphan.ini")
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    List<ProcessHandle> jvm = List.of();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(log).contains("listening")) {
        assertThat(p.isAlive()).as("running; its output: %s", Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as("started within 30 s").isLessThan(deadline);
        Thread.sleep(100);
      }
      jvm = p.descendants().toList();
      assertThat(jvm).isNotEmpty();
      p.destroyForcibly(); // SIGKILL to the launcher only
      for (ProcessHandle h : jvm) {
        h.onExit().get(10, TimeUnit.SECONDS);
        assertThat(h.isAlive()).as("the JVM stopped with its launcher").isFalse();
      }
    } finally {
      p.destroyForcibly();
      jvm.forEach(ProcessHandle::destroyForcibly);
    }
  }

  static List<String> list(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  /** Runs a command to its end and returns its output; fails on a non-zero exit. */
  static String run(Path dir, String... command) throws Exception {
    Path out = Files.createTempFile("bw-run-", ".out");
    Process p =
        new ProcessBuilder(command)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ended", String.join(" ", command)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    String text = Files.readString(out);
    Files.delete(out);
    assertThat(p.exitValue()).as("%s: %s", String.join(" ", command), text).isZero();
    return text;
  }
}
