package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code POST /sql} as Neon's driver uses it, checked on the raw HTTP answers: the JSON shapes,
 * PostgreSQL's type OIDs and text output, batches as one transaction, errors as 400 with
 * PostgreSQL's fields, authentication from the auth file and routing through the pools.
 */
class SqlOverHttpIT {

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
            .set("http_serverless", "1")
            .set("admin_users", Roles.ADMIN)
            .poolSize(2)
            .start();
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "DROP TABLE IF EXISTS neon_http");
      Sql.exec(c, "CREATE TABLE neon_http (id int PRIMARY KEY, v text)");
    }
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static String connectionString(String user, String password, String database) {
    return "postgresql://" + URLEncoder.encode(user, StandardCharsets.UTF_8) + ":"
        + URLEncoder.encode(password, StandardCharsets.UTF_8) + "@127.0.0.1:" + pooler.port() + "/" + database
        + "?application_name=neon-http-it";
  }

  static HttpResponse<String> post(String body, String user, String password, String database, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sql"))
            .timeout(Duration.ofSeconds(30))
            .header("Neon-Connection-String", connectionString(user, password, database))
            .header("Neon-Raw-Text-Output", "true")
            .header("Neon-Array-Mode", "true")
            .header("Content-Type", "text/plain;charset=UTF-8")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String body) throws Exception {
    return post(body, Roles.PLAIN, Roles.password(Roles.PLAIN), Roles.DATABASE, Map.of());
  }

  static Map<String, Object> ok(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
    assertThat(r.headers().firstValue("access-control-allow-origin")).hasValue("*");
    return JsonReader.object(r.body());
  }

  static Map<String, Object> error(HttpResponse<String> r, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    Map<String, Object> e = JsonReader.object(r.body());
    assertThat(e.get("code")).as(r.body()).isEqualTo(code);
    return e;
  }

  @Test
  @SuppressWarnings("unchecked")
  void singleQueryHasTheDriversShape() throws Exception {
    Map<String, Object> r = ok(post("{\"query\":\"SELECT $1::int AS x\",\"params\":[\"1\"]}"));
    assertThat(r.get("command")).isEqualTo("SELECT");
    assertThat(r.get("rowCount")).isEqualTo(1.0);
    assertThat(r.get("rowAsArray")).isEqualTo(true);
    assertThat(r.get("rows")).isEqualTo(List.of(List.of("1")));
    List<Map<String, Object>> fields = (List<Map<String, Object>>) r.get("fields");
    assertThat(fields).hasSize(1);
    assertThat(fields.get(0))
        .containsEntry("name", "x")
        .containsEntry("dataTypeID", 23.0)
        .containsEntry("tableID", 0.0)
        .containsEntry("columnID", 0.0)
        .containsEntry("dataTypeSize", 4.0)
        .containsEntry("dataTypeModifier", -1.0)
        .containsEntry("format", "text");
  }

  @Test
  @SuppressWarnings("unchecked")
  void typesAreOidsAndPostgresText() throws Exception {
    Map<String, Object> r =
        ok(post("{\"query\":\"SELECT 9007199254740993::int8 AS i8, 1.50::numeric AS n, true AS b,"
            + " '2024-02-29 12:34:56.789+00'::timestamptz AS ts, '{\\\"a\\\":[1,2]}'::jsonb AS j,"
            + " $1::int[] AS arr, '\\\\x00ff'::bytea AS by, NULL::text AS nul, $2::text AS t, 'é✓'::text AS u\","
            + "\"params\":[\"{1,2,NULL}\", null]}"));
    List<Map<String, Object>> fields = (List<Map<String, Object>>) r.get("fields");
    List<Object> types = new ArrayList<>();
    fields.forEach(f -> types.add(f.get("dataTypeID")));
    assertThat(types).containsExactly(20.0, 1700.0, 16.0, 1184.0, 3802.0, 1007.0, 17.0, 25.0, 25.0, 25.0);
    List<Object> row = ((List<List<Object>>) r.get("rows")).get(0);
    assertThat(row.get(0)).isEqualTo("9007199254740993");
    assertThat(row.get(1)).isEqualTo("1.50");
    assertThat(row.get(2)).isEqualTo("t");
    assertThat((String) row.get(3)).startsWith("2024-02-29 ");
    assertThat(row.get(4)).isEqualTo("{\"a\": [1, 2]}");
    assertThat(row.get(5)).isEqualTo("{1,2,NULL}");
    assertThat(row.get(6)).isEqualTo("\\x00ff");
    assertThat(row.get(7)).isNull();
    assertThat(row.get(8)).isNull();
    assertThat(row.get(9)).isEqualTo("é✓");
  }

  @Test
  @SuppressWarnings("unchecked")
  void objectRowsWithoutArrayModeAndJsonValuesWithoutRawText() throws Exception {
    HttpResponse<String> resp =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sql"))
                .header("Neon-Connection-String", connectionString(Roles.PLAIN, Roles.password(Roles.PLAIN), Roles.DATABASE))
                .POST(HttpRequest.BodyPublishers.ofString(
                    "{\"query\":\"SELECT 1 AS a, true AS b, 'x' AS c, 2.5::float8 AS d, '[1]'::json AS e\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    Map<String, Object> r = ok(resp);
    assertThat(r.get("rowAsArray")).isEqualTo(false);
    assertThat(((List<Object>) r.get("rows")).get(0))
        .isEqualTo(Map.of("a", 1.0, "b", true, "c", "x", "d", 2.5, "e", List.of(1.0)));
  }

  @Test
  void commandTagsGiveCommandAndRowCount() throws Exception {
    Map<String, Object> r = ok(post("{\"query\":\"INSERT INTO neon_http VALUES (100, 'a'), (101, 'b')\"}"));
    assertThat(r.get("command")).isEqualTo("INSERT");
    assertThat(r.get("rowCount")).isEqualTo(2.0);
    assertThat(r.get("rows")).isEqualTo(List.of());
    r = ok(post("{\"query\":\"DELETE FROM neon_http WHERE id >= 100\"}"));
    assertThat(r.get("command")).isEqualTo("DELETE");
    assertThat(r.get("rowCount")).isEqualTo(2.0);
    r = ok(post("{\"query\":\"CREATE TEMP TABLE neon_tmp (x int)\"}"));
    assertThat(r.get("command")).isEqualTo("CREATE");
    assertThat(r.get("rowCount")).isNull();
  }

  @Test
  @SuppressWarnings("unchecked")
  void batchIsOneTransaction() throws Exception {
    HttpResponse<String> resp =
        post("{\"queries\":[{\"query\":\"INSERT INTO neon_http VALUES ($1, $2)\",\"params\":[\"1\",\"one\"]},"
            + "{\"query\":\"SELECT v FROM neon_http WHERE id = 1\"},"
            + "{\"query\":\"SELECT current_setting('transaction_isolation') AS iso\"}]}",
            Roles.PLAIN, Roles.password(Roles.PLAIN), Roles.DATABASE,
            Map.of("Neon-Batch-Isolation-Level", "Serializable"));
    Map<String, Object> r = ok(resp);
    assertThat(resp.headers().firstValue("neon-batch-isolation-level")).hasValue("Serializable");
    List<Map<String, Object>> results = (List<Map<String, Object>>) r.get("results");
    assertThat(results).hasSize(3);
    assertThat(results.get(0).get("command")).isEqualTo("INSERT");
    assertThat(results.get(1).get("rows")).isEqualTo(List.of(List.of("one")));
    assertThat(results.get(2).get("rows")).isEqualTo(List.of(List.of("serializable")));
    // Nothing of the batch's settings outlives it, on any of the pool's servers.
    for (int i = 0; i < 4; i++) {
      assertThat(ok(post("{\"query\":\"SELECT current_setting('transaction_isolation')\"}")).get("rows"))
          .isEqualTo(List.of(List.of("read committed")));
    }

    // At the first error nothing is committed, and the answer is that error.
    Map<String, Object> e =
        error(post("{\"queries\":[{\"query\":\"INSERT INTO neon_http VALUES (2, 'two')\"},"
            + "{\"query\":\"INSERT INTO neon_http VALUES (1, 'dup')\"},"
            + "{\"query\":\"INSERT INTO neon_http VALUES (3, 'three')\"}]}"), "23505");
    assertThat(e.get("constraint")).isEqualTo("neon_http_pkey");
    assertThat(e.get("table")).isEqualTo("neon_http");
    assertThat(e.get("severity")).isEqualTo("ERROR");
    assertThat((String) e.get("detail")).contains("(id)=(1)");
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(Sql.one(c, "SELECT string_agg(id::text, ',' ORDER BY id) FROM neon_http")).isEqualTo("1");
    }

    // Read only.
    resp = post("{\"queries\":[{\"query\":\"INSERT INTO neon_http VALUES (9, 'x')\"}]}",
        Roles.PLAIN, Roles.password(Roles.PLAIN), Roles.DATABASE, Map.of("Neon-Batch-Read-Only", "true"));
    error(resp, "25006");
    assertThat(ok(post("{\"query\":\"SELECT current_setting('transaction_read_only')\"}")).get("rows"))
        .isEqualTo(List.of(List.of("off")));
    assertThat(post("{\"queries\":[]}", Roles.PLAIN, Roles.password(Roles.PLAIN), Roles.DATABASE,
        Map.of("Neon-Batch-Isolation-Level", "Whatever")).statusCode()).isEqualTo(400);
  }

  @Test
  void sqlErrorsAre400WithPostgresFields() throws Exception {
    Map<String, Object> e = error(post("{\"query\":\"SELECT * FROM no_such_table\"}"), "42P01");
    assertThat(e.get("message")).isEqualTo("relation \"no_such_table\" does not exist");
    assertThat(e.get("position")).isEqualTo("15");
    assertThat(e).containsKeys("severity", "detail", "hint", "where", "schema", "table", "column", "dataType",
        "constraint", "file", "line", "routine", "internalPosition", "internalQuery");
    error(post("{\"query\":\"SELECT 1; SELECT 2\"}"), "42601");
    // COPY FROM STDIN has no data to read: refused, not left waiting.
    error(post("{\"query\":\"COPY neon_http FROM STDIN\"}"), "57014");
    Map<String, Object> copied = ok(post("{\"query\":\"COPY (SELECT 1) TO STDOUT\"}"));
    assertThat(copied.get("command")).isEqualTo("COPY");
    // The pooler's client is still fine afterwards.
    assertThat(ok(post("{\"query\":\"SELECT 2\"}")).get("rows")).isEqualTo(List.of(List.of("2")));
  }

  @Test
  void authenticationAsForTcpClients() throws Exception {
    for (String user : List.of(Roles.PLAIN, Roles.MD5, Roles.SCRAM)) {
      assertThat(ok(post("{\"query\":\"SELECT current_user\"}", user, Roles.password(user), Roles.DATABASE, Map.of()))
          .get("rows")).as(user).isEqualTo(List.of(List.of(user)));
      Map<String, Object> e = error(post("{\"query\":\"SELECT 1\"}", user, "wrong", Roles.DATABASE, Map.of()), "28P01");
      assertThat((String) e.get("message")).contains("password authentication failed");
    }
    error(post("{\"query\":\"SELECT 1\"}", "nobody", "x", Roles.DATABASE, Map.of()), "28P01");
    Map<String, Object> e =
        error(post("{\"query\":\"SELECT 1\"}", Roles.PLAIN, Roles.password(Roles.PLAIN), "nosuchdb", Map.of()), "3D000");
    assertThat((String) e.get("message")).contains("nosuchdb");
  }

  @Test
  void badRequestsAre400() throws Exception {
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sql"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"SELECT 1\"}")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(post("not json").statusCode()).isEqualTo(400);
    assertThat(post("{\"nothing\":1}").statusCode()).isEqualTo(400);
  }

  @Test
  void requestsAreCountedAsClientsOfTheirKind() throws Exception {
    ok(post("{\"query\":\"SELECT 1\"}"));
    String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    assertThat(metrics).containsPattern("breakwater_edge_logins_total\\{kind=\"http\"[^}]*\\} [1-9]");
    assertThat(metrics).containsPattern("breakwater_logins_total\\{result=\"ok\"[^}]*\\} [1-9]");
  }

  @Test
  void corsPreflight() throws Exception {
    HttpResponse<String> r =
        http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sql"))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("access-control-allow-origin")).hasValue("*");
    assertThat(r.headers().firstValue("allow")).hasValue("OPTIONS, POST");
    assertThat(r.headers().firstValue("access-control-allow-headers").orElse(""))
        .contains("Neon-Connection-String", "Neon-Raw-Text-Output", "Neon-Array-Mode", "Neon-Batch-Isolation-Level");
    assertThat(r.headers().firstValue("access-control-max-age")).hasValue("86400");
  }

  @Test
  void manyConcurrentRequestsShareTheSmallPool() throws Exception {
    List<CompletableFuture<HttpResponse<String>>> all = new ArrayList<>();
    HttpClient many = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    for (int i = 0; i < 40; i++) {
      all.add(many.sendAsync(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sql"))
              .timeout(Duration.ofSeconds(60))
              .header("Neon-Connection-String", connectionString(Roles.MD5, Roles.password(Roles.MD5), Roles.DATABASE))
              .header("Neon-Raw-Text-Output", "true")
              .header("Neon-Array-Mode", "true")
              .POST(HttpRequest.BodyPublishers.ofString(
                  "{\"query\":\"SELECT $1::int, pg_sleep(0.05)\",\"params\":[\"" + i + "\"]}"))
              .build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    int max = 0;
    while (!CompletableFuture.allOf(all.toArray(new CompletableFuture[0])).isDone()) {
      max = Math.max(max, pooler.backendsOf(Roles.MD5));
      Thread.sleep(20);
    }
    for (int i = 0; i < all.size(); i++) {
      assertThat(ok(all.get(i).get()).get("rows")).isEqualTo(List.of(List.of(Integer.toString(i), "")));
    }
    assertThat(max).isLessThanOrEqualTo(2);
    assertThat(pooler.backendsOf(Roles.MD5)).isLessThanOrEqualTo(2);
  }

  @Test
  void responsesAndRequestsHaveLimits() throws Exception {
    HttpResponse<String> r = post("{\"query\":\"SELECT repeat('x', 1000000) FROM generate_series(1, 12)\"}");
    assertThat(r.statusCode()).isEqualTo(507);
    // A large result under the limit is fine.
    Map<String, Object> big = ok(post("{\"query\":\"SELECT g, repeat('y', 100) FROM generate_series(1, 20000) g\"}"));
    assertThat(big.get("rowCount")).isEqualTo(20000.0);
    // A body over 10 MiB is refused as soon as its length is known.
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(("POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " + (11 << 20)
          + "\r\n\r\n{").getBytes(StandardCharsets.UTF_8));
      String status = new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      assertThat(status).isEqualTo("HTTP/1.1 413");
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    StringBuilder all = new StringBuilder();
    String[] bodies = {
      "{\"query\":\"SELECT 'first', pg_sleep(0.2)\"}", "{\"query\":\"SELECT 'second'\"}", null
    };
    for (String body : bodies) {
      if (body == null) {
        all.append("GET /live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      } else {
        all.append("POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\nNeon-Connection-String: ")
            .append(connectionString(Roles.PLAIN, Roles.password(Roles.PLAIN), Roles.DATABASE))
            .append("\r\nNeon-Array-Mode: true\r\nContent-Length: ").append(body.getBytes(StandardCharsets.UTF_8).length)
            .append("\r\n\r\n").append(body);
      }
    }
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(all.toString().getBytes(StandardCharsets.UTF_8));
      s.getOutputStream().flush();
      java.io.InputStream in = s.getInputStream();
      StringBuilder got = new StringBuilder();
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!got.toString().contains("\"live\"") && System.nanoTime() < until) {
        byte[] b = new byte[4096];
        int n = in.read(b);
        if (n < 0) {
          break;
        }
        got.append(new String(b, 0, n, StandardCharsets.UTF_8));
      }
      String text = got.toString();
      int first = text.indexOf("\"first\"");
      int second = text.indexOf("\"second\"");
      int live = text.indexOf("\"live\"");
      assertThat(first).as(text).isPositive();
      assertThat(second).as(text).isGreaterThan(first);
      assertThat(live).as(text).isGreaterThan(second);
    }
  }

  @Test
  void aClientGoneMidQueryHasItsQueryCancelled() throws Exception {
    String body = "{\"query\":\"SELECT pg_sleep(30), 'neon-gone-marker'\"}";
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      out.write(("POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\nNeon-Connection-String: "
          + connectionString(Roles.TRUST, Roles.password(Roles.TRUST), Roles.DATABASE)
          + "\r\nContent-Type: text/plain\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length
          + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      out.flush();
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (running() == 0 && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertThat(running()).isEqualTo(1);
    }
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (running() > 0 && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertThat(running()).isZero();
  }

  private static int running() throws Exception {
    try (Connection c = pooler.postgres().superuser()) {
      return Integer.parseInt(Sql.one(c,
          "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%neon-gone-marker%'"
              + " AND pid <> pg_backend_pid()"));
    }
  }
}
