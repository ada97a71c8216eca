package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TempFiles;
import dev.breakwater.testkit.TestPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * http_auth_token_file: /api/*, /metrics and /health need the bearer token (401 with
 * WWW-Authenticate without it or with a wrong one); probes, the dashboard's files and POST /sql
 * do not; RELOAD reads a new token.
 */
class HttpTokenIT {

  static final String TOKEN = "test-token-0123456789abcdef";
  static Pooler pooler;
  static Path tokenFile;
  static HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static int port;

  @BeforeAll
  static void start() throws Exception {
    tokenFile = Files.createTempFile("bw-http-token-", ".txt");
    Files.writeString(tokenFile, TOKEN + "\n");
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .set("http_auth_token_file", tokenFile.toString())
            .start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
    TempFiles.delete(tokenFile);
  }

  static HttpResponse<String> get(String path, String authorization) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void dataNeedsTheToken() throws Exception {
    for (String path : new String[] {"/api/clients", "/api/pools", "/api/overview", "/metrics", "/health"}) {
      for (String wrong : new String[] {null, "Bearer nope", "Bearer " + TOKEN + "x", "Basic " + TOKEN, "Bearer"}) {
        HttpResponse<String> r = get(path, wrong);
        assertThat(r.statusCode()).as(path + " with " + wrong).isEqualTo(401);
        assertThat(r.headers().firstValue("www-authenticate")).as(path).hasValue("Bearer realm=\"breakwater\"");
        assertThat(r.body()).doesNotContain("database");
      }
      assertThat(get(path, "Bearer " + TOKEN).statusCode()).as(path + " with the token").isIn(200, 503);
      assertThat(get(path, "bearer  " + TOKEN + " ").statusCode()).as(path + ", scheme in any case").isIn(200, 503);
    }
  }

  @Test
  void probesFilesAndSqlNeedNoToken() throws Exception {
    assertThat(get("/live", null).statusCode()).isEqualTo(200);
    assertThat(get("/ready", null).statusCode()).isEqualTo(200);
    assertThat(get("/", null).statusCode()).isEqualTo(200);
    assertThat(get("/dashboard.js", null).statusCode()).isEqualTo(200);
    // POST /sql authenticates as a PostgreSQL client: without the Neon headers it is a 400, not a 401.
    HttpResponse<String> sql =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/sql"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"query\":\"select 1\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(sql.statusCode()).isNotEqualTo(401).isBetween(400, 499);
  }

  @Test
  void reloadReadsANewToken() throws Exception {
    String next = "next-token-abcdefghijklmnop";
    Files.writeString(tokenFile, next + "\n");
    try {
      pooler.breakwater().control().reload();
      assertThat(get("/api/pools", "Bearer " + TOKEN).statusCode()).isEqualTo(401);
      assertThat(get("/api/pools", "Bearer " + next).statusCode()).isEqualTo(200);
    } finally {
      Files.writeString(tokenFile, TOKEN + "\n");
      pooler.breakwater().control().reload();
    }
  }
}
