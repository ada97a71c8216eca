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
 * Compiles {@code examples/lambda} against this module (warnings are errors) and invokes the
 * handler in a child JVM, as Lambda's runtime would, with a real DATABASE_URL.
 */
class ExampleLambdaTest {

  private static Path example() {
    Path here = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    for (Path dir = here; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("examples/lambda/src/main/java");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("examples/lambda not found above " + here);
  }

  @Test
  void theHandlerCompilesAndAnswersAgainstARealDatabase(@TempDir Path out) throws Exception {
    List<File> sources;
    try (Stream<Path> files = Files.walk(example())) {
      sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
    }
    String classpath = ChildJvm.testClasspath();
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
      Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromFiles(sources);
      boolean ok =
          javac
              .getTask(diagnostics, fm, null,
                  List.of("--release", "17", "-Xlint:all", "-Werror", "-classpath", classpath, "-d", out.toString()),
                  null, units)
              .call();
      assertThat(ok).as(diagnostics.toString()).isTrue();
    }
    ChildJvm.Result r =
        ChildJvm.run(
            out + File.pathSeparator + classpath,
            LambdaInvoker.class.getName(),
            Map.of("DATABASE_URL", Pg.url(Pg.shared()), "APP_ENV", "production"),
            Duration.ofSeconds(30),
            "example.OrderCountHandler", "acme");
    assertThat(r.exited()).as(r.output()).isTrue();
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("statusCode=200")
        .contains("customer=acme")
        .contains("n=4")
        .contains("statement_timeout=30s");
  }
}
