package dev.breakwater.server.stats;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** PgBouncer's averages: per second for counts and bytes, per event for times. */
class StatsAveragesTest {

  static PoolStats.Totals totals(long xacts, long queries, long received, long sent, long xactUs, long queryUs, long waitUs, long assignments) {
    return new PoolStats.Totals(xacts, queries, received, sent, xactUs, queryUs, waitUs, assignments, 0, 0, 0, 0, 0);
  }

  @Test
  void averagesOverThePeriod() {
    PoolStats.Totals older = totals(100, 300, 10_000, 50_000, 1_000_000, 900_000, 20_000, 100);
    PoolStats.Totals newer = totals(300, 700, 30_000, 150_000, 3_000_000, 2_100_000, 60_000, 300);
    StatsAverages.Averages a = StatsAverages.average(older, newer, 2_000_000_000L);
    assertThat(a.transactions()).isEqualTo(100);
    assertThat(a.queries()).isEqualTo(200);
    assertThat(a.received()).isEqualTo(10_000);
    assertThat(a.sent()).isEqualTo(50_000);
    assertThat(a.transactionMicros()).isEqualTo(10_000);
    assertThat(a.queryMicros()).isEqualTo(3_000);
    assertThat(a.waitMicros()).isEqualTo(200);
    assertThat(a.serverAssignments()).isEqualTo(100);
  }

  @Test
  void nothingHappenedIsZero() {
    PoolStats.Totals t = totals(5, 5, 5, 5, 5, 5, 5, 5);
    assertThat(StatsAverages.average(t, t, 1_000_000_000L)).isEqualTo(StatsAverages.Averages.ZERO);
    assertThat(StatsAverages.average(t, t, 0)).isEqualTo(StatsAverages.Averages.ZERO);
  }

  @Test
  void logLineHasPgBouncersWording() {
    StatsAverages.Averages a = new StatsAverages.Averages(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11);
    assertThat(StatsAverages.logLine(a))
        .isEqualTo("stats: 2 xacts/s, 3 queries/s, 9 client parses/s, 10 server parses/s, 11 binds/s,"
            + " in 4 B/s, out 5 B/s, xact 6 us, query 7 us, wait 8 us");
  }
}
