package dev.breakwater.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.File;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles {@code examples/spring-boot} against this module (warnings are errors) and runs it in a
 * child JVM with a real DATABASE_URL: Spring Boot must start with the pool as its DataSource,
 * query, report the pool healthy, and stop.
 */
class ExampleSpringBootTest {

  private static Path example() {
    Path here = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
    for (Path dir = here; dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve("examples/spring-boot");
      if (Files.isDirectory(candidate)) {
        return candidate;
      }
    }
    throw new IllegalStateException("examples/spring-boot not found above " + here);
  }

  @Test
  void theExampleStartsOnThePoolAndReportsItHealthy(@TempDir Path out) throws Exception {
    List<File> sources;
    try (Stream<Path> files = Files.walk(example().resolve("src/main/java"))) {
      sources = files.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
    }
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    try (StandardJavaFileManager fm = javac.getStandardFileManager(null, null, null)) {
      Iterable<? extends JavaFileObject> units = fm.getJavaFileObjectsFromFiles(sources);
      boolean ok =
          javac
              .getTask(diagnostics, fm, null,
                  List.of("--release", "17", "-Xlint:all,-processing,-classfile", "-Werror", "-classpath", classpath, "-d", out.toString()),
                  null, units)
              .call();
      assertThat(ok).as(diagnostics.toString()).isTrue();
    }
    Files.copy(example().resolve("src/main/resources/application.properties"), out.resolve("application.properties"));

    TestPostgres pg = TestPostgres.shared();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(out + File.pathSeparator + classpath);
    command.add("example.OrdersApplication");
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("DATABASE_URL", "postgresql://" + Roles.PLAIN + ":" + Roles.password(Roles.PLAIN) + "@"
        + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE);
    pb.environment().put("APP_ENV", "staging");
    Path log = out.resolve("run.log");
    Process p = pb.redirectOutput(log.toFile()).start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s: %s", Files.readString(log)).isTrue();
      String output = Files.readString(log);
      assertThat(p.exitValue()).as(output).isZero();
      assertThat(output)
          .contains("hello from " + Roles.DATABASE)
          .contains("pool orders, max 5")
          .contains("health UP")
          .contains("pool 'orders' closed");
    } finally {
      p.destroyForcibly();
    }
  }
}
