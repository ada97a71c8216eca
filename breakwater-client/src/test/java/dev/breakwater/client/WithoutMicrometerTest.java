package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Micrometer is optional: a function that never asks for metrics runs without it. */
class WithoutMicrometerTest {

  @Test
  void aPoolWorksWithNoMicrometerOnTheClasspath() throws Exception {
    String classpath =
        Arrays.stream(ChildJvm.testClasspath().split(File.pathSeparator))
            .filter(e -> !e.contains("micrometer") && !e.contains("HdrHistogram") && !e.contains("LatencyUtils"))
            .collect(Collectors.joining(File.pathSeparator));
    ChildJvm.Result r =
        ChildJvm.run(
            classpath,
            NoMicrometerMain.class.getName(),
            Map.of("DATABASE_URL", Pg.url(Pg.shared()), "APP_ENV", "production"),
            Duration.ofSeconds(60));
    assertThat(r.exited()).as(r.output()).isTrue();
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("no micrometer")
        .contains("answer 42")
        .contains("\"status\":\"healthy\"")
        .doesNotContain("NoClassDefFoundError");
  }
}
