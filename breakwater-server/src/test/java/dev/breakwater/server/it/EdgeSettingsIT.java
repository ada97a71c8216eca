package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.testkit.TestCertificates;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.buffer.ByteBuf;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;

/**
 * The settings around Neon's serverless driver: off unless http_serverless is set, TLS on the HTTP
 * listener (https:// and wss://) with client_tls_sslmode = require, and users found by auth_query
 * logging in over both endpoints (the pipelined password waits for the lookup).
 */
class EdgeSettingsIT {

  static HttpResponse<String> post(HttpClient http, String scheme, int port, String user, String password, String body)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create(scheme + "://127.0.0.1:" + port + "/sql"))
            .timeout(Duration.ofSeconds(20))
            .header("Neon-Connection-String",
                "postgresql://" + user + ":" + password + "@127.0.0.1:5432/" + Roles.DATABASE)
            .header("Neon-Raw-Text-Output", "true")
            .header("Neon-Array-Mode", "true")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void offUnlessHttpServerlessIsSet() throws Exception {
    int port = TestPostgres.freePort();
    try (Pooler pooler = Pooler.builder().set("http_listen_port", Integer.toString(port)).start()) {
      HttpClient http = HttpClient.newHttpClient();
      assertThat(post(http, "http", port, Roles.PLAIN, Roles.password(Roles.PLAIN), "{\"query\":\"SELECT 1\"}").statusCode())
          .as("POST is refused as on any other path").isEqualTo(405);
      assertThatThrownBy(() -> new WebSocketTunnelIT.Session(http, URI.create("ws://127.0.0.1:" + port + "/v2")))
          .hasStackTraceContaining("404");
      assertThat(pooler.breakwater().frontend().clientCount()).isZero();
    }
  }

  @Test
  void httpsAndWssWithTlsRequired() throws Exception {
    try (TestCertificates ca = TestCertificates.newAuthority("bw-edge")) {
      TestCertificates.Issued cert = ca.issue("breakwater", "localhost", "127.0.0.1");
      int port = TestPostgres.freePort();
      try (Pooler pooler =
          Pooler.builder()
              .set("http_listen_port", Integer.toString(port))
              .set("http_serverless", "1")
              .set("http_tls", "1")
              .set("client_tls_sslmode", "require")
              .set("client_tls_cert_file", cert.certificate().toString())
              .set("client_tls_key_file", cert.key().toString())
              .start()) {
        HttpClient https = HttpClient.newBuilder().sslContext(trusting(ca)).build();
        HttpResponse<String> r =
            post(https, "https", port, Roles.SCRAM, Roles.password(Roles.SCRAM), "{\"query\":\"SELECT current_user\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(JsonReader.object(r.body()).get("rows")).isEqualTo(List.of(List.of(Roles.SCRAM)));
        try (WebSocketTunnelIT.Session s =
            new WebSocketTunnelIT.Session(https, URI.create("wss://127.0.0.1:" + port + "/v2?address=x:1"))) {
          ByteBuf out = WebSocketTunnelIT.startup(Roles.MD5, Roles.DATABASE);
          FrontendMessages.password(out, Roles.password(Roles.MD5));
          FrontendMessages.query(out, "SELECT 'wss'");
          s.send(out);
          s.until('Z');
          assertThat(WebSocketTunnelIT.Session.rows(s.until('Z'))).isEqualTo(List.of(List.of("wss")));
        }
        // Plain HTTP is not spoken there.
        assertThatThrownBy(() -> post(HttpClient.newHttpClient(), "http", port, Roles.PLAIN, "x", "{}"))
            .isInstanceOf(java.io.IOException.class);
      }
    }
  }

  @Test
  void authQueryUsersOverBothEndpoints() throws Exception {
    var pg = TestPostgres.shared();
    pg.execute(
        "DROP ROLE IF EXISTS bw_q_edge",
        "CREATE ROLE bw_q_edge LOGIN PASSWORD 'edge_pw'",
        "CREATE OR REPLACE FUNCTION bw_edge_lookup(u text) RETURNS TABLE (usename name, passwd text)"
            + " LANGUAGE sql AS $$ SELECT rolname, rolpassword::text FROM pg_authid WHERE rolname = u $$");
    int port = TestPostgres.freePort();
    try (Pooler pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .set("auth_user", Roles.ADMIN)
            .set("auth_dbname", "postgres")
            .set("auth_query", "SELECT usename, passwd FROM bw_edge_lookup($1)")
            .set("auth_cache_ttl", "0")
            .start()) {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> r = post(http, "http", port, "bw_q_edge", "edge_pw", "{\"query\":\"SELECT current_user\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(JsonReader.object(r.body()).get("rows")).isEqualTo(List.of(List.of("bw_q_edge")));
      r = post(http, "http", port, "bw_q_edge", "wrong", "{\"query\":\"SELECT 1\"}");
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(JsonReader.object(r.body())).containsEntry("code", "28P01");
      try (WebSocketTunnelIT.Session s =
          new WebSocketTunnelIT.Session(http, URI.create("ws://127.0.0.1:" + port + "/v2"))) {
        ByteBuf out = WebSocketTunnelIT.startup("bw_q_edge", Roles.DATABASE);
        FrontendMessages.password(out, "edge_pw");
        FrontendMessages.query(out, "SELECT current_user");
        s.send(out);
        s.until('Z');
        assertThat(WebSocketTunnelIT.Session.rows(s.until('Z'))).isEqualTo(List.of(List.of("bw_q_edge")));
      }
    }
  }

  @Test
  void hbaRulesSeeTheHttpClientsAddress() throws Exception {
    java.nio.file.Path hba = Files.createTempFile("bw-edge-hba", ".conf");
    try {
      Files.writeString(hba, String.join("\n",
          "host all " + Roles.TRUST + " 127.0.0.1/32 trust",
          "host all " + Roles.PLAIN + " 127.0.0.1/32 password",
          ""));
      int port = TestPostgres.freePort();
      try (Pooler pooler =
          Pooler.builder()
              .set("http_listen_port", Integer.toString(port))
              .set("http_serverless", "1")
              .set("auth_type", "hba")
              .set("auth_hba_file", hba.toString())
              .start()) {
        HttpClient http = HttpClient.newHttpClient();
        // trust: the password the driver sends anyway is not checked.
        HttpResponse<String> r = post(http, "http", port, Roles.TRUST, "anything", "{\"query\":\"SELECT current_user\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        r = post(http, "http", port, Roles.PLAIN, Roles.password(Roles.PLAIN), "{\"query\":\"SELECT 1\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        r = post(http, "http", port, Roles.PLAIN, "nope", "{\"query\":\"SELECT 1\"}");
        assertThat(JsonReader.object(r.body())).containsEntry("code", "28P01");
        r = post(http, "http", port, Roles.MD5, Roles.password(Roles.MD5), "{\"query\":\"SELECT 1\"}");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(JsonReader.object(r.body())).containsEntry("code", "28000");
        assertThat((String) JsonReader.object(r.body()).get("message"))
            .contains("no pg_hba.conf entry for host \"127.0.0.1\", user \"bw_md5\"");
      }
    } finally {
      Files.deleteIfExists(hba);
    }
  }

  @Test
  void statementModeRunsSingleQueriesAndWholeBatches() throws Exception {
    int port = TestPostgres.freePort();
    try (Pooler pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .poolMode("statement")
            .start()) {
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> r = post(http, "http", port, Roles.PLAIN, Roles.password(Roles.PLAIN), "{\"query\":\"SELECT 1\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      // A batch is sent with one Sync: the server is held from its BEGIN to its COMMIT.
      r = post(http, "http", port, Roles.PLAIN, Roles.password(Roles.PLAIN),
          "{\"queries\":[{\"query\":\"SELECT txid_current()::text AS t\"},{\"query\":\"SELECT txid_current()::text AS t\"}]}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> results = (List<Map<String, Object>>) JsonReader.object(r.body()).get("results");
      assertThat(results.get(0).get("rows")).isEqualTo(results.get(1).get("rows"));
    }
  }

  /**
   * http_max_request_size and http_max_response_size set below Neon's 10 MiB: a body over the
   * first is answered 413 and a WebSocket frame over it closes the session (1009), an answer over
   * the second is 507 with the driver's error shape; a reload applies new limits to new HTTP
   * connections and requests.
   */
  @Test
  void smallerLimitsGiveNeonsStatusCodes() throws Exception {
    int port = TestPostgres.freePort();
    try (Pooler pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .set("http_max_request_size", "4096")
            .set("http_max_response_size", "2048")
            .start()) {
      HttpClient http = HttpClient.newHttpClient();
      String pw = Roles.password(Roles.PLAIN);
      HttpResponse<String> r = post(http, "http", port, Roles.PLAIN, pw, "{\"query\":\"SELECT repeat('a', 1000)\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      // The request: a literal of 5000 characters makes a body over 4096 bytes.
      r = post(http, "http", port, Roles.PLAIN, pw, "{\"query\":\"SELECT '" + "b".repeat(5000) + "'\"}");
      assertThat(r.statusCode()).isEqualTo(413);
      // The answer: 3000 characters of rows are over 2048 bytes.
      r = post(http, "http", port, Roles.PLAIN, pw, "{\"query\":\"SELECT repeat('c', 3000)\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(507);
      assertThat(JsonReader.object(r.body()))
          .containsEntry("code", "")
          .containsEntry("message", "response is too large (max is 2048 bytes)");
      r = post(http, "http", port, Roles.PLAIN, pw,
          "{\"query\":\"SELECT g, repeat('d', 100) FROM generate_series(1, 30) g\"}");
      assertThat(r.statusCode()).as("many small rows count too").isEqualTo(507);

      // A WebSocket frame over the request limit ends the session with "message too big".
      try (WebSocketTunnelIT.Session s =
          new WebSocketTunnelIT.Session(http, URI.create("ws://127.0.0.1:" + port + "/v2"))) {
        ByteBuf out = WebSocketTunnelIT.startup(Roles.PLAIN, Roles.DATABASE);
        FrontendMessages.password(out, pw);
        FrontendMessages.query(out, "SELECT 'ok'");
        s.send(out);
        s.until('Z');
        assertThat(WebSocketTunnelIT.Session.rows(s.until('Z'))).isEqualTo(List.of(List.of("ok")));
        ByteBuf big = io.netty.buffer.Unpooled.buffer();
        FrontendMessages.query(big, "SELECT '" + "e".repeat(5000) + "'");
        s.send(big);
        assertThat(s.closed.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(1009);
      }

      // A reload raises both limits.
      java.nio.file.Path ini = pooler.configDir().resolve("pgbouncer.ini");
      Files.writeString(ini, Files.readString(ini)
          .replace("http_max_request_size = 4096", "http_max_request_size = 65536")
          .replace("http_max_response_size = 2048", "http_max_response_size = 65536"));
      pooler.breakwater().reload();
      HttpClient fresh = HttpClient.newHttpClient();
      r = post(fresh, "http", port, Roles.PLAIN, pw, "{\"query\":\"SELECT '" + "b".repeat(5000) + "' AS v\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      r = post(fresh, "http", port, Roles.PLAIN, pw, "{\"query\":\"SELECT repeat('c', 3000)\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
  }

  private static SSLContext trusting(TestCertificates ca) throws Exception {
    KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
    ks.load(null, null);
    try (InputStream in = Files.newInputStream(ca.caFile())) {
      int i = 0;
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(ks);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }
}
