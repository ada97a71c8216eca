package dev.breakwater.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * contrib/systemd/breakwater.service: the keys that make it behave like PgBouncer's unit, and
 * {@code systemd-analyze verify} has nothing to say about it where systemd is installed.
 */
class SystemdUnitTest {

  static final Path UNIT =
      LicenceTest.ROOT.resolve("breakwater-dist/src/dist/contrib/systemd/breakwater.service");

  @Test
  void keys() throws Exception {
    Map<String, Map<String, List<String>>> unit = parse(Files.readString(UNIT));
    assertThat(unit).containsOnlyKeys("Unit", "Service", "Install");
    Map<String, List<String>> service = unit.get("Service");
    assertThat(service.get("Type")).containsExactly("exec");
    assertThat(service.get("ExecStart"))
        .containsExactly("/opt/breakwater/bin/breakwater /etc/breakwater/pgbouncer.ini");
    assertThat(service.get("ExecReload")).containsExactly("/bin/kill -HUP $MAINPID");
    assertThat(service.get("KillSignal")).containsExactly("SIGINT");
    assertThat(service.get("LimitNOFILE")).containsExactly("65536");
    assertThat(service.get("User")).containsExactly("breakwater");
    assertThat(unit.get("Install").get("WantedBy")).containsExactly("multi-user.target");
  }

  @Test
  void systemdAnalyzeVerifyIsSilent() throws Exception {
    Path analyze = Path.of("/usr/bin/systemd-analyze");
    org.junit.jupiter.api.Assumptions.assumeTrue(
        Files.isExecutable(analyze), "systemd-analyze is not installed; the keys test stands alone");
    // verify wants ExecStart's program to exist: point it at the archive's script in this tree.
    Path dir = Files.createTempDirectory("bw-systemd-");
    Path copy = dir.resolve("breakwater.service");
    Path script = LicenceTest.ROOT.resolve("breakwater-dist/src/dist/bin/breakwater").toAbsolutePath();
    Files.writeString(
        copy, Files.readString(UNIT).replace("/opt/breakwater/bin/breakwater", script.toString()));
    Path out = dir.resolve("out");
    Process p =
        new ProcessBuilder(analyze.toString(), "verify", "--man=no", copy.toString())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    String said = Files.readString(out);
    Files.delete(out);
    Files.delete(copy);
    Files.delete(dir);
    assertThat(p.exitValue()).as(said).isZero();
    // It only warns about a key it cannot parse, and still exits 0.
    assertThat(said).isEmpty();
  }

  /** Sections of keys, each key with its values in order; comments and blank lines skipped. */
  static Map<String, Map<String, List<String>>> parse(String text) {
    Map<String, Map<String, List<String>>> unit = new LinkedHashMap<>();
    Map<String, List<String>> section = null;
    for (String line : text.split("\n")) {
      String l = line.strip();
      if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
        continue;
      }
      if (l.startsWith("[") && l.endsWith("]")) {
        section = unit.computeIfAbsent(l.substring(1, l.length() - 1), k -> new LinkedHashMap<>());
        continue;
      }
      int eq = l.indexOf('=');
      assertThat(section).as("a key before any section: %s", l).isNotNull();
      assertThat(eq).as("not a key=value line: %s", l).isPositive();
      section.computeIfAbsent(l.substring(0, eq).strip(), k -> new ArrayList<>()).add(l.substring(eq + 1).strip());
    }
    return unit;
  }
}
