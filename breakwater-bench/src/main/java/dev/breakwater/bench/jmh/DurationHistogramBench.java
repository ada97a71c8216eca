package dev.breakwater.bench.jmh;

import dev.breakwater.server.stats.DurationHistogram;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@link DurationHistogram#record}, which every transaction calls three times (its wait, its
 * queries, itself) on whichever event loop it runs: from one thread, and from two at once into the
 * same histogram, as a pool's two event loops do. Durations alike (the same bucket every time) are
 * the case of a busy pool, where each record lands where the other loop's last one did.
 *
 * <p>What it showed, and what it did not: two threads recording without pause took 170 to 190 ns
 * a record against 13.5 from one, and adders per bucket ({@code LongAdder}) brought that to 15 to
 * 19. In the pooler they did the opposite: profiles at 1000 clients put the recording at 6.3 and
 * 7.0% of the event loops' user time with adders against 2.5 and 2.5% with the array of atomics
 * (fresh poolers, same load), since the loops seldom record at the same instant and an adder's
 * cell costs more than an uncontended add. The array stayed. Read this benchmark as the worst case.
 *
 * <p>A stripe of the array per recording thread, written with plain stores by its owner: 11.4 ns
 * alone, 12 to 34 from two threads. In the pooler at 10 clients the recording left the profile
 * (6.7% of the loops' user time before), but their user time per transaction fell only 3%: the
 * stall moved to the next locked instruction (one event loop spends as much user time per
 * transaction as two, so it is not mainly lines bouncing between them). Not kept: a stripe per
 * core made each pool's histograms 16 KB on 2 cores and about 90 KB on 16, against 4.4 KB.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
public class DurationHistogramBench {

  /** 200 µs (a transaction at 10 clients) or 30 ms (a wait at 1000 clients on a pool of 20). */
  @Param({"200000", "30000000"})
  public long nanos;

  DurationHistogram histogram;

  @Setup
  public void setUp() {
    histogram = new DurationHistogram();
  }

  /** The histogram recorded into, for the test that runs each benchmark once. */
  public DurationHistogram histogram() {
    return histogram;
  }

  @Benchmark
  @Threads(1)
  public void recordAlone() {
    histogram.record(nanos);
  }

  @Benchmark
  @Threads(2)
  public void recordFromTwoThreads() {
    histogram.record(nanos);
  }
}
