package dev.breakwater.server.stats;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DurationHistogramTest {

  private static final long MICRO = 1_000L;
  private static final long MILLI = 1_000_000L;

  @Test
  void aDurationFallsInTheFirstBucketItDoesNotExceed() {
    assertThat(DurationHistogram.bucketOf(0)).isZero();
    assertThat(DurationHistogram.bucketOf(100 * MICRO)).isZero();
    assertThat(DurationHistogram.bucketOf(100 * MICRO + 1)).isEqualTo(1);
    assertThat(DurationHistogram.bucketOf(3 * MILLI)).isEqualTo(5);
    assertThat(DurationHistogram.bucketOf(120_000 * MILLI)).isEqualTo(18);
    assertThat(DurationHistogram.bucketOf(Long.MAX_VALUE)).isEqualTo(19);
    assertThat(DurationHistogram.upperBoundsSeconds()).hasSize(20).startsWith(0.0001, 0.00025).endsWith(120.0, Double.POSITIVE_INFINITY);
  }

  @Test
  void countsSumAndBuckets() {
    DurationHistogram h = new DurationHistogram();
    h.record(50 * MICRO);
    h.record(80 * MICRO);
    h.record(3 * MILLI);
    h.record(-5);
    assertThat(h.count()).isEqualTo(4);
    assertThat(h.sumMicros()).isEqualTo(130 + 3000);
    long[] b = h.bucketCounts();
    assertThat(b[0]).isEqualTo(3);
    assertThat(b[5]).isEqualTo(1);
    assertThat(java.util.Arrays.stream(b).sum()).isEqualTo(4);
  }

  @Test
  void theSumOutlastsALongOfNanoseconds() {
    // Four centuries of waiting, as 1000 clients always waiting add up in about five months:
    // more than a long holds in nanoseconds.
    DurationHistogram h = new DurationHistogram();
    long century = java.time.Duration.ofDays(36_525).toNanos();
    for (int i = 0; i < 4; i++) {
      h.record(century);
    }
    assertThat(h.sumMicros()).isEqualTo(4 * (century / 1000)).isPositive();
    assertThat(h.count()).isEqualTo(4);
  }

  @Test
  void theLongestIsForgottenAfterTwoMinutes() {
    DurationHistogram h = new DurationHistogram();
    h.record(7 * MILLI);
    h.record(2 * MILLI);
    assertThat(h.maxNanos()).isEqualTo(7 * MILLI);
    int slots = DurationHistogram.MAX_SLOT_ROLLS;
    for (int i = 0; i < slots; i++) {
      h.roll();
    }
    h.record(1 * MILLI);
    assertThat(h.maxNanos()).as("after 30 s").isEqualTo(7 * MILLI);
    for (int i = 0; i < slots * DurationHistogram.MAX_PAST_SLOTS - 1; i++) {
      h.roll();
    }
    assertThat(h.maxNanos()).as("after 119 s").isEqualTo(7 * MILLI);
    h.roll();
    assertThat(h.maxNanos()).as("after 120 s, the 1 ms of second 30 is still within its window")
        .isEqualTo(1 * MILLI);
    for (int i = 0; i < slots; i++) {
      h.roll();
    }
    assertThat(h.maxNanos()).isZero();
  }

  @Test
  void theDashboardWindowSeesEachDuration() {
    DurationHistogram h = new DurationHistogram();
    for (int i = 0; i < 10; i++) {
      h.record(200 * MICRO);
    }
    h.roll();
    assertThat(h.window().count()).isEqualTo(10);
  }
}
