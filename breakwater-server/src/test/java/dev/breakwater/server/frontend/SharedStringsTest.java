package dev.breakwater.server.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SharedStringsTest {

  private final SharedStrings strings = new SharedStrings();

  @Test
  void equalStringsFromDifferentClientsShareOneCopy() {
    String first = strings.share(new String("UTF8"));
    String second = strings.share(new String("UTF8"));
    assertThat(second).isSameAs(first).isEqualTo("UTF8");
    assertThat(strings.size()).isEqualTo(1);
  }

  @Test
  void aLongStringIsKeptAsGivenAndNotHeld() {
    String longValue = "x".repeat(SharedStrings.MAX_LENGTH + 1);
    assertThat(strings.share(longValue)).isSameAs(longValue);
    assertThat(strings.share(new String(longValue))).isNotSameAs(longValue);
    assertThat(strings.size()).isZero();
  }

  @Test
  void onceFullNewStringsAreKeptAsGivenAndHeldOnesStillShared() {
    String held = strings.share(new String("ISO, MDY"));
    for (int i = 1; i < SharedStrings.MAX_ENTRIES + 100; i++) {
      strings.share("app-" + i);
    }
    assertThat(strings.size()).isEqualTo(SharedStrings.MAX_ENTRIES);
    String fresh = new String("never-seen");
    assertThat(strings.share(fresh)).isSameAs(fresh);
    assertThat(strings.share(new String("ISO, MDY"))).isSameAs(held);
  }
}
