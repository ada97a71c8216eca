package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void parsesWhatEnvironmentVariablesCarry() {
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30000")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse(" 2m ")).isEqualTo(Duration.ofMinutes(2));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("PT15S")).isEqualTo(Duration.ofSeconds(15));
    assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("not a duration");
    assertThatThrownBy(() -> Durations.parse("5 fortnights")).hasMessageContaining("not a duration");
  }

  @Test
  void formatsForHumans() {
    assertThat(Durations.format(Duration.ofMillis(250))).isEqualTo("250 ms");
    assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1.5 s");
    assertThat(Durations.format(Duration.ofSeconds(3))).isEqualTo("3 s");
    assertThat(Durations.format(Duration.ofMillis(30_049))).isEqualTo("30 s");
  }
}
