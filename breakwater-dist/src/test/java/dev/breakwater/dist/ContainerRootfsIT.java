package dev.breakwater.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.testkit.TempFiles;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The container image without a Docker daemon: deploy/container/build-rootfs lays out its root
 * filesystem from the archive, and the Dockerfile's ENTRYPOINT, CMD, USER and HEALTHCHECK run in
 * it under chroot (as root, with /proc mounted as a runtime would), the configuration "mounted"
 * at /etc/breakwater. Opt-in (jlink takes a while): mvn verify -Dbreakwater.container=true.
 */
class ContainerRootfsIT {

  @Test
  void entrypointPoolsPostgresAsItsUserAndDrainsOnSigterm() throws Exception {
    assumeTrue(Boolean.getBoolean("breakwater.container"), "opt-in: -Dbreakwater.container=true");
    assumeTrue(ArchiveIT.run(Path.of("."), "id", "-u").strip().equals("0"), "needs root for chroot");
    Path work = Files.createTempDirectory("bw-container-");
    Path rootfs = work.resolve("rootfs");
    Path proc = rootfs.resolve("proc");
    boolean mounted = false;
    Process p = null;
    try {
      ArchiveIT.run(
          work,
          LicenceTest.ROOT.resolve("deploy/container/build-rootfs").toString(),
          ArchiveIT.ARCHIVE + ".tar.gz",
          rootfs.toString());
      Map<String, List<String>> d = DockerfileTest.parse(Files.readString(DockerfileTest.DOCKERFILE));
      TestPostgres pg = TestPostgres.shared();
      int port = TestPostgres.freePort();
      int httpPort = TestPostgres.freePort();
      // What a ConfigMap and a Secret would mount.
      Files.writeString(
          rootfs.resolve("etc/breakwater/pgbouncer.ini"),
          Files.readString(LicenceTest.ROOT.resolve("deploy/container/pgbouncer.ini"))
              .replace("app = host=postgres port=5432 dbname=app",
                  Roles.DATABASE + " = host=" + pg.host() + " port=" + pg.port() + " dbname=" + Roles.DATABASE)
              .replace("listen_port = 6432", "listen_port = " + port)
              .replace("http_listen_port = 6434", "http_listen_port = " + httpPort));
      Files.writeString(
          rootfs.resolve("etc/breakwater/userlist.txt"),
          "\"" + Roles.PLAIN + "\" \"" + Roles.password(Roles.PLAIN) + "\"\n");
      ArchiveIT.run(work, "mount", "-t", "proc", "proc", proc.toString());
      mounted = true;

      List<String> command = new ArrayList<>(List.of("chroot", "--userspec=" + d.get("USER").get(0), rootfs.toString()));
      command.addAll(DockerfileTest.jsonArray(d.get("ENTRYPOINT").get(0)));
      command.addAll(DockerfileTest.jsonArray(d.get("CMD").get(0)));
      Path log = work.resolve("container.out");
      p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (!Files.readString(log).contains("HTTP endpoint on")) {
        assertThat(p.isAlive()).as("running; its output: %s", Files.readString(log)).isTrue();
        assertThat(System.nanoTime()).as("started within 30 s").isLessThan(deadline);
        Thread.sleep(100);
      }
      try (Connection c =
              DriverManager.getConnection(
                  "jdbc:postgresql://127.0.0.1:" + port + "/" + Roles.DATABASE,
                  Roles.PLAIN,
                  Roles.password(Roles.PLAIN));
          Statement s = c.createStatement();
          ResultSet r = s.executeQuery("SELECT 1")) {
        assertThat(r.next()).isTrue();
      }
      String health = d.get("HEALTHCHECK").get(0);
      List<String> check = new ArrayList<>(List.of("chroot", "--userspec=" + d.get("USER").get(0), rootfs.toString()));
      for (String a : DockerfileTest.jsonArray(health.substring(health.indexOf("CMD") + 3))) {
        check.add(a.replace(":6434/", ":" + httpPort + "/"));
      }
      ArchiveIT.run(work, check.toArray(String[]::new));
      String user = ArchiveIT.run(work, "ps", "-o", "user=", "-p", Long.toString(p.pid())).strip();
      assertThat(user).isIn("breakwater", "10001");
      p.destroy(); // SIGTERM: chroot exec'd java, which gets it
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as(Files.readString(log)).isZero();
    } finally {
      if (p != null) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      if (mounted) {
        new ProcessBuilder("umount", proc.toString()).start().waitFor();
      }
      TempFiles.delete(work);
    }
  }
}
