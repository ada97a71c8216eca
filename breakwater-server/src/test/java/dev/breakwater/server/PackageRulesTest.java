package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Which packages of the server must not use which (issue 17: no import cycle between the client
 * side, the server side and the pool). A use is the other package's name in a source file: an
 * import, or a fully qualified name. One rule a line in {@link #RULES}.
 */
class PackageRulesTest {

  /** {@code from} (a package under dev.breakwater.server) must not use {@code banned}. */
  record Rule(String from, String banned) {}

  static final List<Rule> RULES =
      List.of(
          new Rule("pool", "frontend"),
          new Rule("pool", "backend"),
          new Rule("backend", "frontend"));

  private static final String BASE = "dev.breakwater.server.";

  @Test
  void noPackageUsesOneItMustNot() {
    List<String> broken = new ArrayList<>();
    for (Rule rule : RULES) {
      List<Path> files = sources(rule.from());
      assertThat(files).as("sources of %s", rule.from()).isNotEmpty();
      for (Path file : files) {
        String text = read(file);
        if (uses(text, rule.banned())) {
          broken.add(rule.from() + "/" + file.getFileName() + " uses " + rule.banned());
        }
      }
    }
    assertThat(broken).isEmpty();
  }

  @Test
  void anImportAndAFullyQualifiedNameAreUses() {
    assertThat(uses("import dev.breakwater.server.backend.ServerConnection;", "backend")).isTrue();
    assertThat(uses("private dev.breakwater.server.frontend.ClientConnection c;", "frontend")).isTrue();
    assertThat(uses("import dev.breakwater.server.backendish.X;", "backend")).isFalse();
    assertThat(uses("import dev.breakwater.server.pool.Pool;", "backend")).isFalse();
  }

  static boolean uses(String text, String pkg) {
    String name = BASE + pkg;
    for (int at = text.indexOf(name); at >= 0; at = text.indexOf(name, at + 1)) {
      int end = at + name.length();
      if (end < text.length() && (text.charAt(end) == '.' || text.charAt(end) == ';')) {
        return true;
      }
    }
    return false;
  }

  /** The main sources of one package (not its subpackages), from the module or the root directory. */
  private static List<Path> sources(String pkg) {
    String relative = "src/main/java/" + (BASE + pkg).replace('.', '/');
    Path dir = Path.of(relative);
    if (!Files.isDirectory(dir)) {
      dir = Path.of("breakwater-server").resolve(relative);
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".java")).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
