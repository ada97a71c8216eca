package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The HTTP endpoint: health and probes, Prometheus metric names, the SHOW views as JSON, files. */
class HttpEndpointIT {

  static Pooler pooler;
  static HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static int port;

  @BeforeAll
  static void start() throws Exception {
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_addr", "127.0.0.1")
            .set("http_listen_port", Integer.toString(port))
            .set("admin_users", Roles.ADMIN)
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @SuppressWarnings("unchecked")
  void healthHasTheSeedsShapeWithPools() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "SELECT 1");
      HttpResponse<String> r = get("/health");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
      Map<String, Object> h = JsonReader.object(r.body());
      assertThat(h.get("status")).isEqualTo("healthy");
      Map<String, Object> pool = (Map<String, Object>) h.get("pool");
      assertThat(pool).containsKeys("total", "idle", "waiting", "max");
      assertThat((Double) pool.get("total")).isGreaterThanOrEqualTo(1);
      List<Map<String, Object>> pools = (List<Map<String, Object>>) h.get("pools");
      assertThat(pools).anySatisfy(p -> {
        assertThat(p.get("database")).isEqualTo(Roles.DATABASE);
        assertThat(p.get("user")).isEqualTo(Roles.PLAIN);
        assertThat(p.get("status")).isEqualTo("ok");
        assertThat(p.get("max")).isEqualTo(5.0);
      });
      assertThat(h.get("alerts")).isEqualTo(List.of());
    }
    assertThat(get("/ready").statusCode()).isEqualTo(200);
    assertThat(get("/live").statusCode()).isEqualTo(200);
  }

  @Test
  void unreachableDatabaseMakesHealth503() throws Exception {
    Pooler broken =
        Pooler.builder()
            .database("deadport = dbname=bwtest port=" + TestPostgres.freePort())
            .set("http_listen_port", Integer.toString(TestPostgres.freePort()))
            .start();
    try {
      int p = broken.breakwater().http().port();
      SqlErrors.serverError(() -> broken.connect("deadport", Roles.PLAIN, Roles.password(Roles.PLAIN), new java.util.Properties()).close());
      HttpResponse<String> r =
          http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p + "/health")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(503);
      Map<String, Object> h = JsonReader.object(r.body());
      assertThat(h.get("status")).isEqualTo("unhealthy");
      assertThat((String) h.get("reason")).contains("database deadport cannot be reached");
    } finally {
      broken.close();
    }
  }

  @Test
  void metricsUseTheDocumentedNames() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      for (int i = 0; i < 5; i++) {
        Sql.exec(c, "SELECT " + i);
      }
      SqlErrors.serverError(() -> pooler.connect(Roles.DATABASE, Roles.PLAIN, "wrong", new java.util.Properties()).close());
      pooler.breakwater().observer().tick(System.nanoTime());
      HttpResponse<String> r = get("/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain; version=0.0.4"));
      String text = r.body();
      String pool = "database=\"" + Roles.DATABASE + "\"";
      for (String name :
          List.of(
              "breakwater_pool_clients{", "breakwater_pool_servers{", "breakwater_pool_size{",
              "breakwater_pool_max_wait_seconds{", "breakwater_pool_transactions_total{",
              "breakwater_pool_queries_total{", "breakwater_pool_received_bytes_total{",
              "breakwater_pool_sent_bytes_total{", "breakwater_pool_wait_seconds_bucket{",
              "breakwater_pool_query_seconds_bucket{", "breakwater_pool_transaction_seconds_bucket{",
              "breakwater_pool_server_assignments_total{", "db_pool_open{", "db_pool_idle{",
              "db_pool_waiting{", "db_pool_max{", "breakwater_logins_total{result=\"ok\"",
              "breakwater_logins_total{result=\"failed\"", "breakwater_errors_total{",
              "breakwater_clients ", "breakwater_alerts_active{alert=\"POOL_WAITING\"",
              "breakwater_pool_server_unreachable{", "jvm_memory_used_bytes")) {
        assertThat(text).as(name).contains(name);
      }
      assertThat(text).containsPattern("breakwater_pool_clients\\{database=\"bwtest\",state=\"idle\",user=\"bw_plain\"\\} 1");
      assertThat(text).containsPattern("breakwater_pool_transactions_total\\{" + pool + ",user=\"bw_plain\"\\} \\d");
    }
  }

  /**
   * The duration histograms count what the counters count (they are one record), their buckets
   * are cumulative, and the longest query is at least as long as the sleep that ran.
   */
  @Test
  void durationHistogramsAgreeWithTheCounters() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      for (int i = 0; i < 3; i++) {
        Sql.exec(c, "SELECT " + i);
      }
      Sql.exec(c, "SELECT pg_sleep(0.03)");
      String text = get("/metrics").body();
      String labels = "database=\"" + Roles.DATABASE + "\",user=\"bw_plain\"";
      long transactions = (long) value(text, "breakwater_pool_transactions_total{" + labels + "}");
      assertThat(transactions).isGreaterThanOrEqualTo(4);
      assertThat((long) value(text, "breakwater_pool_transaction_seconds_count{" + labels + "}")).isEqualTo(transactions);
      assertThat((long) value(text, "breakwater_pool_query_seconds_count{" + labels + "}"))
          .isEqualTo((long) value(text, "breakwater_pool_queries_total{" + labels + "}"));
      assertThat((long) value(text, "breakwater_pool_wait_seconds_count{" + labels + "}"))
          .isEqualTo((long) value(text, "breakwater_pool_server_assignments_total{" + labels + "}"));
      assertThat(value(text, "breakwater_pool_query_seconds_max{" + labels + "}")).isBetween(0.03, 10.0);
      assertThat(value(text, "breakwater_pool_query_seconds_sum{" + labels + "}")).isGreaterThanOrEqualTo(0.03);
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("breakwater_pool_query_seconds_bucket\\{" + java.util.regex.Pattern.quote(labels)
              + ",le=\"([^\"]+)\"\\} (\\S+)").matcher(text);
      double last = 0;
      int buckets = 0;
      double belowFiftyMs = -1;
      while (m.find()) {
        double count = Double.parseDouble(m.group(2));
        assertThat(count).as("le=" + m.group(1)).isGreaterThanOrEqualTo(last);
        last = count;
        buckets++;
        if (m.group(1).equals("0.025")) {
          belowFiftyMs = count;
        }
      }
      assertThat(buckets).isEqualTo(20);
      assertThat(last).isEqualTo(value(text, "breakwater_pool_query_seconds_count{" + labels + "}"));
      assertThat(belowFiftyMs).as("the 30 ms sleep is above the 25 ms bucket").isLessThan(last);
    }
  }

  private static double value(String scrape, String series) {
    for (String line : scrape.split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no " + series + " in the scrape");
  }

  /** Every Breakwater metric family in a scrape is in docs/metrics.md, and every alert rule's too. */
  @Test
  void metricsAreDocumented() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "SELECT 1");
      SqlErrors.serverError(() -> pooler.connect(Roles.DATABASE, Roles.PLAIN, "wrong", new java.util.Properties()).close());
    }
    String text = get("/metrics").body();
    java.nio.file.Path root = java.nio.file.Path.of("").toAbsolutePath();
    while (!java.nio.file.Files.isDirectory(root.resolve("docs"))) {
      root = root.getParent();
    }
    String doc = java.nio.file.Files.readString(root.resolve("docs/metrics.md"));
    String rules = java.nio.file.Files.readString(root.resolve("examples/prometheus/alerts.yml"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^# TYPE ((breakwater|db_pool)_\\w+) (\\w+)").matcher(text);
    java.util.List<String> missing = new java.util.ArrayList<>();
    java.util.Set<String> families = new java.util.HashSet<>();
    while (m.find()) {
      families.add(m.group(1));
      if (!doc.contains("`" + m.group(1) + "`")) {
        missing.add(m.group(1) + " (" + m.group(3) + ")");
      }
    }
    assertThat(missing).as("metric families missing from docs/metrics.md").isEmpty();
    java.util.regex.Matcher used = java.util.regex.Pattern.compile("(breakwater|db_pool)_[a-z_]+").matcher(rules);
    while (used.find()) {
      String name = used.group().replaceAll("_(bucket|count|sum)$", "");
      assertThat(families).as("alerts.yml uses " + used.group()).contains(name);
    }
  }

  @Test
  void apiViewsAreTheShowViewsAsJson() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "SELECT 1");
      List<Map<String, Object>> pools = JsonReader.array(get("/api/pools").body());
      Map<String, Object> p = pools.stream().filter(x -> Roles.PLAIN.equals(x.get("user"))).findFirst().orElseThrow();
      assertThat(p.keySet()).containsExactlyElementsOf(AdminConsoleIT.PGBOUNCER_COLUMNS.get("SHOW POOLS"));
      assertThat(p.get("cl_active")).isInstanceOf(Double.class);
      assertThat(p.get("pool_mode")).isEqualTo("transaction");
      List<Map<String, Object>> clients = JsonReader.array(get("/api/clients").body());
      assertThat(clients).anySatisfy(cl -> assertThat(cl.get("user")).isEqualTo(Roles.PLAIN));
      List<String> clientColumns = new java.util.ArrayList<>(AdminConsoleIT.PGBOUNCER_COLUMNS.get("SHOW CLIENTS"));
      clientColumns.add("pinned");
      assertThat(clients.get(0).keySet()).containsExactlyElementsOf(clientColumns);
      List<Map<String, Object>> servers = JsonReader.array(get("/api/servers").body());
      assertThat(servers).anySatisfy(s -> assertThat(s.get("database")).isEqualTo(Roles.DATABASE));
      assertThat(JsonReader.array(get("/api/stats").body())).isNotEmpty();
      Map<String, Object> overview = JsonReader.object(get("/api/overview").body());
      assertThat(overview).containsKeys("time", "status", "clients", "alerts", "pools", "waiting");
      assertThat(overview.get("version")).isEqualTo("Breakwater " + System.getProperty("breakwater.project.version"));
    }
  }

  @Test
  void dashboardFilesAndErrors() throws Exception {
    HttpResponse<String> page = get("/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
    assertThat(page.body()).contains("<title>Breakwater</title>").contains("dashboard.js");
    assertThat(get("/dashboard.js").body()).contains("api/overview");
    assertThat(get("/dashboard.css").statusCode()).isEqualTo(200);
    assertThat(get("/nothing-here").statusCode()).isEqualTo(404);
    assertThat(get("/api/config").statusCode()).isEqualTo(404);
    HttpResponse<String> post =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(post.statusCode()).isEqualTo(405);
  }

  @Test
  void readyIsFalseWhilePaused() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "SELECT 1");
      pooler.breakwater().control().pause(null).get(10, java.util.concurrent.TimeUnit.SECONDS);
      try {
        HttpResponse<String> r = get("/ready");
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("paused");
        assertThat(get("/live").statusCode()).isEqualTo(200);
      } finally {
        pooler.breakwater().control().resume(null);
      }
    }
  }
}
