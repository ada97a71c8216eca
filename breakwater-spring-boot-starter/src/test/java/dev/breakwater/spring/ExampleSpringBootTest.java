package dev.breakwater.spring;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.ExampleProjects;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles {@code examples/spring-boot} against this module (warnings are errors) and runs it in a
 * child JVM with a real DATABASE_URL: Spring Boot must start with the pool as its DataSource,
 * query, report the pool healthy, and stop.
 */
class ExampleSpringBootTest {

  @Test
  void theExampleStartsOnThePoolAndReportsItHealthy(@TempDir Path out) throws Exception {
    Path example = ExampleProjects.find("spring-boot");
    String classpath = ExampleProjects.testClasspath();
    // -classfile: Actuator's classes carry annotations of libraries an application brings.
    ExampleProjects.compile(example, classpath, out, "all,-processing,-classfile");
    Files.copy(example.resolve("src/main/resources/application.properties"), out.resolve("application.properties"));

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
