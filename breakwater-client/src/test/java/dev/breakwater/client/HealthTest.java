package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The seed's health JSON, healthy and unhealthy, and the /health endpoint on the JDK server. */
class HealthTest {

  private static final String HEALTHY_SHAPE =
      "\\{\"status\":\"healthy\",\"pool\":\\{\"total\":\\d+,\"idle\":\\d+,\"waiting\":\\d+}}";

  @Test
  void healthyAfterSelectOneWithTheSeedsShape() throws Exception {
    try (BreakwaterPool pool = Pg.builder("health-ok").build()) {
      Health h = pool.health();
      assertThat(h.healthy()).isTrue();
      assertThat(h.httpStatus()).isEqualTo(200);
      assertThat(h.toJson()).isEqualTo("{\"status\":\"healthy\",\"pool\":{\"total\":1,\"idle\":1,\"waiting\":0}}");
      try (Connection held = pool.getConnection()) {
        assertThat(pool.health().toJson())
            .matches(HEALTHY_SHAPE)
            .isEqualTo("{\"status\":\"healthy\",\"pool\":{\"total\":2,\"idle\":1,\"waiting\":0}}");
      }
    }
  }

  @Test
  void unhealthyWhenNothingListensWithTheErrorInJson() {
    int port = TestPostgres.freePort();
    try (BreakwaterPool pool =
        Pg.builder("health-down")
            .url("postgres://u:p@127.0.0.1:" + port + "/db")
            .connectionTimeout(Duration.ofMillis(500))
            .build()) {
      Health h = pool.health();
      assertThat(h.healthy()).isFalse();
      assertThat(h.httpStatus()).isEqualTo(503);
      assertThat(h.toJson())
          .startsWith("{\"status\":\"unhealthy\",\"error\":\"pool 'health-down': no connection within")
          .contains("refused")
          .contains("[SQLSTATE 08001]")
          .endsWith("\"}");
    }
  }

  @Test
  void unhealthyWithAWrongPasswordAndQuotesEscaped() {
    TestPostgres pg = Pg.shared();
    try (BreakwaterPool pool =
        Pg.builder("health-auth")
            .url("postgres://" + Roles.SCRAM + ":nope@" + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE)
            .build()) {
      String json = pool.health().toJson();
      assertThat(json)
          .startsWith("{\"status\":\"unhealthy\",\"error\":\"")
          .contains("password authentication failed for user \\\"" + Roles.SCRAM + "\\\"")
          .contains("[SQLSTATE 28P01]")
          .endsWith("\"}");
    }
  }

  @Test
  void jsonStringsAreEscaped() {
    assertThat(Json.quote("a\"b\\c\nd\re\tf\u0001g\u2028h")).isEqualTo("\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u2028h\"");
    assertThat(Json.quote("é😀")).isEqualTo("\"é😀\"");
    assertThat(Json.quote("x\uD800y")).isEqualTo("\"x\\ud800y\"");
    assertThat(Json.quote(null)).isEqualTo("null");
    assertThat(Health.unhealthy("say \"hi\"").toJson()).isEqualTo("{\"status\":\"unhealthy\",\"error\":\"say \\\"hi\\\"\"}");
  }

  @Test
  void theHttpEndpointAnswers200And503() throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    int deadPort = TestPostgres.freePort();
    try (BreakwaterPool up = Pg.builder("http-up").build();
        BreakwaterPool down =
            Pg.builder("http-down")
                .url("postgres://u:p@127.0.0.1:" + deadPort + "/db")
                .connectionTimeout(Duration.ofMillis(300))
                .build()) {
      InetSocketAddress any = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
      HttpServer upServer = HealthHandler.serve(up, any);
      HttpServer downServer = HealthHandler.serve(down, any);
      try {
        HttpResponse<String> ok = client.send(get(upServer, "/health"), HttpResponse.BodyHandlers.ofString());
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ok.headers().firstValue("Content-Type")).contains("application/json");
        assertThat(ok.body()).matches(HEALTHY_SHAPE);

        HttpResponse<String> bad = client.send(get(downServer, "/health"), HttpResponse.BodyHandlers.ofString());
        assertThat(bad.statusCode()).isEqualTo(503);
        assertThat(bad.body()).startsWith("{\"status\":\"unhealthy\",\"error\":");

        HttpResponse<String> post =
            client.send(
                HttpRequest.newBuilder(uri(upServer, "/health")).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        HttpResponse<String> other = client.send(get(upServer, "/healthz"), HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).isEqualTo(404);
      } finally {
        upServer.stop(0);
        downServer.stop(0);
      }
    }
  }

  private static URI uri(HttpServer server, String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  private static HttpRequest get(HttpServer server, String path) {
    return HttpRequest.newBuilder(uri(server, path)).GET().build();
  }
}
