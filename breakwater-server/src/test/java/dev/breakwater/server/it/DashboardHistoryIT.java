package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's history kept in the server ({@code /api/history}): sampled once a second
 * whether or not a page is open, per pool, every series the dashboard draws.
 */
class DashboardHistoryIT {

  private static String get(int port, String path) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  private static int count(String json, String array) {
    Matcher m = Pattern.compile("\"" + array + "\":\\[([^\\]]*)\\]").matcher(json);
    assertThat(m.find()).as(array + " in " + json).isTrue();
    return m.group(1).isEmpty() ? 0 : m.group(1).split(",").length;
  }

  @Test
  void historyIsKeptWithoutAPageOpenAndCoversEverySeries() throws Exception {
    int http = TestPostgres.freePort();
    try (Pooler pooler = Pooler.builder().poolSize(2).set("http_listen_port", Integer.toString(http)).start()) {
      try (Connection c = pooler.connect(Roles.PLAIN); Statement s = c.createStatement()) {
        for (int i = 0; i < 50; i++) {
          s.execute("SELECT 1");
        }
      }
      // Three samples at least, with nobody polling /api/overview.
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      String h = get(http, "/api/history");
      while (!h.contains("\"database\":\"" + Roles.DATABASE + "\"") || count(h, "time") < 3) {
        assertThat(System.nanoTime()).as("samples within 15 s: %s", h).isLessThan(deadline);
        Thread.sleep(500);
        h = get(http, "/api/history");
      }
      assertThat(h).contains("\"interval_ms\":1000").contains("\"points\":900")
          .contains("\"user\":\"" + Roles.PLAIN + "\"");
      int points = count(h, "time");
      for (String series : new String[] {"cl_active", "cl_waiting", "sv_active", "sv_idle", "pool_size", "tps", "qps",
          "wait_p95", "query_p50", "query_p95", "query_p99"}) {
        assertThat(count(h, series)).as(series).isEqualTo(points);
      }
      assertThat(h).as("the pool's size").contains("\"pool_size\":[2,");
    }
  }
}
