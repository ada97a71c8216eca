package dev.breakwater.server.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Percentiles over a sliding window of seconds, within the buckets' 19%. */
class LatencyWindowTest {

  @Test
  void percentilesOfRecentDurations() {
    LatencyWindow w = new LatencyWindow(3);
    w.roll();
    for (int i = 1; i <= 100; i++) {
      w.record(i * 1_000_000L); // 1 ms .. 100 ms
    }
    w.roll();
    double[] p = w.percentilesMillis(0.5, 0.95, 0.99);
    assertThat(p[0]).isCloseTo(50, within(10.0));
    assertThat(p[1]).isCloseTo(95, within(19.0));
    assertThat(p[2]).isCloseTo(99, within(19.0));
    assertThat(w.count()).isEqualTo(100);
  }

  @Test
  void oldDurationsLeaveTheWindow() {
    LatencyWindow w = new LatencyWindow(2);
    w.roll();
    w.record(500_000_000L);
    w.roll();
    assertThat(w.percentilesMillis(0.5)[0]).isCloseTo(500, within(100.0));
    w.record(1_000_000L);
    w.roll();
    w.roll();
    assertThat(w.count()).isEqualTo(1);
    assertThat(w.percentilesMillis(0.5)[0]).isCloseTo(1, within(0.2));
    w.roll();
    assertThat(w.count()).isZero();
    assertThat(w.percentilesMillis(0.5)[0]).isNaN();
  }

  @Test
  void bucketsGrowByAQuarterOctave() {
    assertThat(LatencyWindow.bucket(0)).isZero();
    assertThat(LatencyWindow.bucket(1)).isEqualTo(1);
    assertThat(LatencyWindow.upperMicros(LatencyWindow.bucket(1000))).isBetween(1000.0, 1190.0);
    assertThat(LatencyWindow.bucket(Long.MAX_VALUE / 1000)).isEqualTo(161);
  }

  @Test
  void bucketsFromBitsAgreeWithTheLogarithm() {
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 100_000; i++) {
      long micros = 1 + (random.nextLong() >>> (1 + random.nextInt(62)));
      double exact = Math.log(micros) / Math.log(2) * 4;
      int byLog = Math.min(1 + (int) Math.floor(exact), 161);
      int byBits = LatencyWindow.bucket(micros);
      if (Math.abs(exact - Math.rint(exact)) > 1e-6) {
        // Away from a boundary, where rounding of either may tip the other way.
        assertThat(byBits).as("bucket of %d", micros).isEqualTo(byLog);
      } else {
        assertThat(byBits).isBetween(byLog - 1, byLog + 1);
      }
      if (byBits < 161) { // the last bucket holds everything longer
        assertThat(LatencyWindow.upperMicros(byBits)).isGreaterThanOrEqualTo(micros * 0.999);
      }
    }
  }
}
