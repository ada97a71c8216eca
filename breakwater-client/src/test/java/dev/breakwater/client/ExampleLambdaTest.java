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
 * Compiles {@code examples/lambda} against this module (warnings are errors) and invokes the
 * handler in a child JVM, as Lambda's runtime would, with a real DATABASE_URL.
 */
class ExampleLambdaTest {

  @Test
  void theHandlerCompilesAndAnswersAgainstARealDatabase(@TempDir Path out) throws Exception {
    String classpath = ChildJvm.testClasspath();
    ExampleProjects.compile(ExampleProjects.find("lambda"), classpath, out, "all");
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
