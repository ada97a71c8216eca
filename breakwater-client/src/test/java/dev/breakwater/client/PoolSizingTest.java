package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The seeds' tables as tests of the sizing rule, and the plan command. */
class PoolSizingTest {

  @Test
  void neonPlanTable() {
    // | Neon Plan | Max Connections | Recommended MAX_SIZE |
    assertThat(PoolSizing.recommend(10, 1, 0).maxSize()).isEqualTo(5);
    assertThat(PoolSizing.recommend(100, 1, 0).maxSize()).isEqualTo(10);
    assertThat(PoolSizing.recommend(1000, 1, 0).maxSize()).isEqualTo(20);
  }

  @Test
  void hundredInstancesOfFiveMakeFiveHundred() {
    PoolSizing.Recommendation r = PoolSizing.recommend(500, 100, 0);
    assertThat(r.maxSize()).isEqualTo(5);
    assertThat(r.atFullScale()).isEqualTo(500);
  }

  @Test
  void instancesTimesSizeNeverExceedsTheUsableConnections() {
    for (int max = 1; max <= 2000; max += 7) {
      for (int instances : new int[] {1, 2, 3, 5, 10, 50, 100, 1000}) {
        for (int reserved : new int[] {0, Math.min(3, max - 1)}) {
          PoolSizing.Recommendation r = PoolSizing.recommend(max, instances, reserved);
          assertThat(r.atFullScale()).isLessThanOrEqualTo(r.usable());
          assertThat(r.maxSize()).isBetween(0, PoolSizing.MAX_RECOMMENDED);
          assertThat(r.fits()).isEqualTo(r.usable() >= instances);
        }
      }
    }
  }

  @Test
  void moreInstancesShrinkThePoolReservedConnectionsAreKeptBack() {
    assertThat(PoolSizing.recommend(100, 20, 0).maxSize()).isEqualTo(5);
    assertThat(PoolSizing.recommend(100, 20, 10).maxSize()).isEqualTo(4);
    assertThat(PoolSizing.recommend(10, 3, 0).maxSize()).isEqualTo(3);
    assertThat(PoolSizing.recommend(20, 1, 0).maxSize()).isEqualTo(6);
    assertThat(PoolSizing.recommend(1, 1, 0).maxSize()).isEqualTo(1);
    assertThat(PoolSizing.recommend(10_000, 1, 0).maxSize()).isEqualTo(20);
    assertThat(PoolSizing.recommend(10, 11, 0).fits()).isFalse();
    assertThatThrownBy(() -> PoolSizing.recommend(0, 1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PoolSizing.recommend(10, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> PoolSizing.recommend(10, 1, 10)).isInstanceOf(IllegalArgumentException.class);
  }

  private static String[] run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status =
        PlanCommand.run(
            args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {String.valueOf(status), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
  }

  @Test
  void planCommandPrintsTheRecommendation() {
    String[] r = run("plan", "--db-max-connections", "500", "--instances", "100");
    assertThat(r[0]).isEqualTo("0");
    assertThat(r[1])
        .contains("pool size:            5 per instance")
        .contains("100 x 5 = 500 of 500 usable connections")
        .contains("DATABASE_POOL_MAX_SIZE=5");
    String[] eq = run("--db-max-connections=100", "--instances=1", "--reserved=0");
    assertThat(eq[0]).isEqualTo("0");
    assertThat(eq[1]).contains("pool size:            10 per instance");
  }

  @Test
  void planCommandReportsWhenNothingFitsAndUsageErrors() {
    String[] none = run("plan", "--db-max-connections", "10", "--instances", "50");
    assertThat(none[0]).isEqualTo("1");
    assertThat(none[1]).contains("none fits").contains("pooler");
    String[] missing = run("plan", "--instances", "5");
    assertThat(missing[0]).isEqualTo("2");
    assertThat(missing[2]).contains("--db-max-connections and --instances are required").contains("usage:");
    String[] bad = run("plan", "--db-max-connections", "ten", "--instances", "5");
    assertThat(bad[0]).isEqualTo("2");
    assertThat(bad[2]).contains("must be a whole number");
    assertThat(run("plan", "--frobnicate", "1")[2]).contains("unknown option --frobnicate");
    assertThat(run("--help")[1]).contains("usage: plan");
  }
}
