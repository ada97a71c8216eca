package dev.breakwater.testkit;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;

/**
 * The example projects under {@code examples/}, compiled by the tests that run them: so that an
 * example always builds against the code it shows.
 */
public final class ExampleProjects {

  private ExampleProjects() {}

  /** {@code examples/<name>}, found from the module's directory upwards. */
  public static Path find(String name) {
    Path here = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    for (Path dir = here; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("examples").resolve(name);
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("examples/" + name + " not found above " + here);
  }

  /** The test JVM's classpath, as surefire gives it. */
  public static String testClasspath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  /**
   * Compiles the example's {@code src/main/java} into {@code out} with Java 17, warnings as errors
   * ({@code lint}: javac's -Xlint value), against {@code classpath}.
   *
   * @throws AssertionError with javac's messages when it does not compile
   */
  public static void compile(Path example, String classpath, Path out, String lint) throws IOException {
    List<File> sources;
    try (Stream<Path> files = Files.walk(example.resolve("src/main/java"))) {
      sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
    }
    if (sources.isEmpty()) {
      throw new AssertionError("no sources in " + example);
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
      Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromFiles(sources);
      List<String> options =
          new ArrayList<>(List.of("--release", "17", "-Xlint:" + lint, "-Werror", "-classpath", classpath, "-d", out.toString()));
      if (!javac.getTask(diagnostics, fm, null, options, null, units).call()) {
        throw new AssertionError("examples/" + example.getFileName() + " does not compile:\n" + diagnostics);
      }
    }
  }
}
