package dev.breakwater.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * deploy/container/Dockerfile: built on nothing (no base image to pull), run as a user that is
 * not root, the heap sized from the container's memory, a health check on /live.
 */
class DockerfileTest {

  static final Path DOCKERFILE = LicenceTest.ROOT.resolve("deploy/container/Dockerfile");

  @Test
  void instructions() throws Exception {
    Map<String, List<String>> d = parse(Files.readString(DOCKERFILE));
    assertThat(d.get("FROM")).containsExactly("scratch");
    assertThat(d.get("USER")).singleElement().satisfies(u -> assertThat(u).doesNotStartWith("0").isNotEqualTo("root"));
    assertThat(d.get("STOPSIGNAL")).containsExactly("SIGINT");
    assertThat(d.get("HEALTHCHECK")).singleElement().satisfies(h -> assertThat(h).contains("/live"));
    List<String> entrypoint = jsonArray(d.get("ENTRYPOINT").get(0));
    assertThat(entrypoint).contains("-XX:MaxRAMPercentage=75").noneMatch(a -> a.startsWith("-Xmx") || a.startsWith("-Xms"));
    assertThat(entrypoint.get(entrypoint.size() - 1)).isEqualTo("dev.breakwater.server.Main");
    assertThat(jsonArray(d.get("CMD").get(0))).containsExactly("/etc/breakwater/pgbouncer.ini");
  }

  /** Each instruction's arguments, continuation lines joined, comments skipped. */
  static Map<String, List<String>> parse(String text) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    StringBuilder line = new StringBuilder();
    for (String raw : text.split("\n")) {
      String l = raw.strip();
      if (l.startsWith("#") || (l.isEmpty() && line.length() == 0)) {
        continue;
      }
      if (l.endsWith("\\")) {
        line.append(l, 0, l.length() - 1).append(' ');
        continue;
      }
      line.append(l);
      String full = line.toString().strip();
      line.setLength(0);
      int sp = full.indexOf(' ');
      out.computeIfAbsent(full.substring(0, sp), k -> new ArrayList<>()).add(full.substring(sp + 1).strip());
    }
    return out;
  }

  /** A Dockerfile exec form, ["a", "b"], with no escapes inside the strings. */
  static List<String> jsonArray(String s) {
    String inner = s.substring(s.indexOf('[') + 1, s.lastIndexOf(']'));
    List<String> out = new ArrayList<>();
    for (String part : inner.split(",")) {
      String p = part.strip();
      assertThat(p).startsWith("\"").endsWith("\"");
      out.add(p.substring(1, p.length() - 1));
    }
    return out;
  }
}
