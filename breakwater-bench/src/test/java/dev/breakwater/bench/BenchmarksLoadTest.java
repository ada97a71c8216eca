package dev.breakwater.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.bench.jmh.DurationHistogramBench;
import dev.breakwater.bench.jmh.FrameScannerBench;
import dev.breakwater.bench.jmh.PoolBench;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.infra.Blackhole;

/** Not a benchmark: checks that JMH found every benchmark and that each runs once without error. */
class BenchmarksLoadTest {

  private static final Blackhole BH =
      new Blackhole(
          "Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

  @Test
  void jmhListsEveryBenchmarkClass() throws IOException, ClassNotFoundException {
    String list;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("META-INF/BenchmarkList")) {
      assertThat(in).as("META-INF/BenchmarkList written by JMH's annotation processor").isNotNull();
      list = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (Class<?> c : List.of(FrameScannerBench.class, PoolBench.class, DurationHistogramBench.class)) {
      assertThat(list).contains(c.getName());
      for (Method m : benchmarks(c)) {
        String generated =
            c.getPackageName() + ".jmh_generated." + c.getSimpleName() + "_" + m.getName() + "_jmhTest";
        assertThat(list).contains(generated);
        Class.forName(generated);
      }
    }
  }

  @Test
  void frameScannerBenchmarksRunOnce() throws Exception {
    for (String mode : List.of("simple", "extended", "prepared")) {
      for (int tx : new int[] {1, 16}) {
        FrameScannerBench b = new FrameScannerBench();
        b.mode = mode;
        b.transactions = tx;
        b.setUp();
        b.handler(BH);
        for (Method m : benchmarks(FrameScannerBench.class)) {
          for (int i = 0; i < 3; i++) {
            m.invoke(b);
          }
        }
        b.tearDown();
      }
    }
  }

  @Test
  void poolBenchmarksRunOnce() throws Exception {
    for (int size : new int[] {20, 1}) {
      PoolBench b = new PoolBench();
      b.poolSize = size;
      b.setUp();
      PoolBench.Clients clients = new PoolBench.Clients();
      clients.setUp(b);
      PoolBench.Counters counters = new PoolBench.Counters();
      for (Method m : benchmarks(PoolBench.class)) {
        for (int i = 0; i < 100; i++) {
          assertThat((int) m.invoke(b, clients, counters)).isEqualTo(1);
        }
      }
      assertThat(counters.handoffs).isEqualTo(200);
      assertThat(b.idleServers()).isEqualTo(size);
    }
  }

  @Test
  void durationHistogramBenchmarksRecord() throws Exception {
    DurationHistogramBench b = new DurationHistogramBench();
    b.nanos = 30_000_000L;
    b.setUp();
    List<Method> methods = benchmarks(DurationHistogramBench.class);
    for (Method m : methods) {
      m.invoke(b);
    }
    assertThat(b.histogram().count()).isEqualTo(methods.size());
    assertThat(b.histogram().sumMicros()).isEqualTo(methods.size() * 30_000L);
  }

  private static List<Method> benchmarks(Class<?> c) {
    List<Method> out = new ArrayList<>();
    for (Method m : c.getMethods()) {
      if (m.isAnnotationPresent(Benchmark.class)) {
        out.add(m);
      }
    }
    assertThat(out).isNotEmpty();
    return out;
  }
}
