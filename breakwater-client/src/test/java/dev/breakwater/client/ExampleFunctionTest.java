package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.ExampleProjects;
import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compiles {@code examples/function} against this module (warnings are errors) and runs its main
 * in a child JVM with a real DATABASE_URL: it must answer, report healthy, and exit on its own.
 */
class ExampleFunctionTest {

  @Test
  void theExampleCompilesAndRunsAgainstARealDatabase(@TempDir Path out) throws Exception {
    String classpath = ChildJvm.testClasspath();
    ExampleProjects.compile(ExampleProjects.find("function"), classpath, out, "all");
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
