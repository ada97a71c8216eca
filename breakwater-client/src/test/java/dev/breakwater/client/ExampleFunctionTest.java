package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles {@code examples/function} against this module (warnings are errors) and runs its main
 * in a child JVM with a real DATABASE_URL: it must answer, report healthy, and exit on its own.
 */
class ExampleFunctionTest {

  static Path exampleSources() {
    Path here = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    for (Path dir = here; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("examples/function/src/main/java");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("examples/function not found above " + here);
  }

  @Test
  void theExampleCompilesAndRunsAgainstARealDatabase(@TempDir Path out) throws Exception {
    List<File> sources;
    try (Stream<Path> files = Files.walk(exampleSources())) {
      sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
    }
    assertThat(sources).isNotEmpty();
    String classpath = ChildJvm.testClasspath();

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
      Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromFiles(sources);
      boolean ok =
          javac
              .getTask(
                  diagnostics,
                  fm,
                  null,
                  List.of("--release", "17", "-Xlint:all", "-Werror", "-classpath", classpath, "-d", out.toString()),
                  null,
                  units)
              .call();
      assertThat(ok).as(diagnostics.toString()).isTrue();
    }

    ChildJvm.Result r =
        ChildJvm.run(
            out + File.pathSeparator + classpath,
            "example.Handler",
            Map.of("DATABASE_URL", Pg.url(Pg.shared()), "APP_ENV", "preview"),
            Duration.ofSeconds(30),
            "breakwater");
    assertThat(r.exited()).as(r.output()).isTrue();
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("hello, breakwater")
        .contains("{\"status\":\"healthy\",\"pool\":{\"total\":1,\"idle\":1,\"waiting\":0}}")
        .contains("preview profile from APP_ENV): max 3");
  }
}
