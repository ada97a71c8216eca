package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.buffer.ByteBuf;
import java.io.File;
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
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Clients are counted by kind on the dashboard, in its JSON and in {@code /metrics}: a pgjdbc
 * client over TCP, a {@code POST /sql} request held open by its pg_sleep and a WebSocket session
 * waiting behind it for the pool's one server. Each shows as its kind in {@code /api/overview}
 * (in all and for the pool), in {@code breakwater_clients_by_kind}, in the list of clients waiting
 * longest, and on the page that Chromium draws (when it is installed).
 */
class EdgeClientKindsIT {

  static Pooler pooler;
  static int port;
  static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_addr", "127.0.0.1")
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .poolSize(1)
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static String get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }

  /** Polls the overview until {@code ready} holds (or 15 seconds pass) and returns it. */
  static Map<String, Object> overviewWhen(Predicate<Map<String, Object>> ready) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    Map<String, Object> o;
    do {
      o = JsonReader.object(get("/api/overview"));
      if (ready.test(o)) {
        return o;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < until);
    return o;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> pool(Map<String, Object> overview) {
    return ((List<Map<String, Object>>) overview.get("pools")).stream()
        .filter(p -> Roles.DATABASE.equals(p.get("database")) && Roles.PLAIN.equals(p.get("user")))
        .findFirst()
        .orElseThrow();
  }

  @SuppressWarnings("unchecked")
  static double kind(Map<String, Object> o, String kind) {
    return ((Map<String, Object>) o.get("clients_by_kind")).get(kind) instanceof Double d ? d : -1;
  }

  @Test
  @SuppressWarnings("unchecked")
  void eachKindOfClientIsCountedAndMarked() throws Exception {
    String connectionString = "postgresql://" + Roles.PLAIN + ":"
        + URLEncoder.encode(Roles.password(Roles.PLAIN), StandardCharsets.UTF_8) + "@127.0.0.1:" + pooler.port() + "/"
        + Roles.DATABASE;
    String body = "{\"query\":\"SELECT pg_sleep(30), 'kinds-held'\"}";
    try (Connection tcp = pooler.connect(Roles.PLAIN);
        Socket request = new Socket("127.0.0.1", port)) {
      Sql.exec(tcp, "SELECT 1");
      // The POST /sql request takes the pool's one server and keeps it while it sleeps.
      OutputStream out = request.getOutputStream();
      out.write(("POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\nNeon-Connection-String: " + connectionString
          + "\r\nNeon-Raw-Text-Output: true\r\nContent-Type: text/plain\r\nContent-Length: "
          + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
      out.flush();
      overviewWhen(o -> kind(pool(o), "http") == 1 && ((Double) pool(o).get("sv_active")) == 1);

      // The WebSocket session logs in as the driver does and waits for the server with its query.
      try (WebSocketTunnelIT.Session ws =
          new WebSocketTunnelIT.Session(http, URI.create("ws://127.0.0.1:" + port + "/v2?address=ignored:5432"))) {
        ByteBuf login = WebSocketTunnelIT.startup(Roles.PLAIN, Roles.DATABASE);
        FrontendMessages.password(login, Roles.password(Roles.PLAIN));
        FrontendMessages.query(login, "SELECT 'ws answered'");
        ws.send(login);
        ws.until('Z');

        Map<String, Object> o =
            overviewWhen(x -> !((List<?>) x.get("waiting")).isEmpty() && kind(x, "ws") == 1);
        assertThat(o.get("clients")).isEqualTo(3.0);
        Map<String, Object> all = (Map<String, Object>) o.get("clients_by_kind");
        assertThat(all).isEqualTo(Map.of("tcp", 1.0, "unix", 0.0, "http", 1.0, "ws", 1.0));
        assertThat(pool(o).get("clients_by_kind")).isEqualTo(all);
        List<Map<String, Object>> waiting = (List<Map<String, Object>>) o.get("waiting");
        assertThat(waiting).hasSize(1);
        assertThat(waiting.get(0)).containsEntry("kind", "ws").containsEntry("user", Roles.PLAIN);

        String metrics = get("/metrics");
        assertThat(metrics)
            .contains("breakwater_clients_by_kind{kind=\"tcp\"} 1.0")
            .contains("breakwater_clients_by_kind{kind=\"unix\"} 0.0")
            .contains("breakwater_clients_by_kind{kind=\"http\"} 1.0")
            .contains("breakwater_clients_by_kind{kind=\"ws\"} 1.0")
            .contains("breakwater_clients 3.0");

        if (new File(DashboardIT.CHROMIUM).canExecute()) {
          String dom =
              DashboardIT.chromium(
                  "--virtual-time-budget=3000", "--window-size=1280,1000", "--dump-dom", "http://127.0.0.1:" + port + "/");
          assertThat(dom).contains("<span id=\"client-kinds\">(1 tcp · 1 http · 1 ws)</span>");
          assertThat(dom).contains("clients: 1 tcp · 1 http · 1 ws");
          assertThat(dom).contains("<td class=\"kind\">ws</td>");
        }

        // The HTTP client goes away: its query is cancelled, and the WebSocket's runs.
        request.close();
        assertThat(WebSocketTunnelIT.Session.rows(ws.until('Z'))).isEqualTo(List.of(List.of("ws answered")));
        Map<String, Object> after = overviewWhen(x -> kind(x, "http") == 0);
        assertThat(after.get("clients_by_kind")).isEqualTo(Map.of("tcp", 1.0, "unix", 0.0, "http", 0.0, "ws", 1.0));
      }
      Map<String, Object> end = overviewWhen(x -> kind(x, "ws") == 0);
      assertThat(end.get("clients_by_kind")).isEqualTo(Map.of("tcp", 1.0, "unix", 0.0, "http", 0.0, "ws", 0.0));
      assertThat(get("/metrics")).contains("breakwater_clients_by_kind{kind=\"ws\"} 0.0");
    }
  }

  /** A client on the Unix socket counts as unix from its StartupMessage on, before it logs in. */
  @Test
  void aUnixSocketClientCountsAsUnix() throws Exception {
    java.nio.file.Path socket = java.nio.file.Path.of("/tmp/.s.PGSQL." + pooler.port());
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(socket), "no Unix socket at " + socket);
    try (java.nio.channels.SocketChannel unix =
        java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(socket))) {
      ByteBuf startup = WebSocketTunnelIT.startup(Roles.PLAIN, Roles.DATABASE);
      unix.write(startup.nioBuffer());
      startup.release();
      // The pooler asks for the password: the client is one now.
      java.nio.ByteBuffer ask = java.nio.ByteBuffer.allocate(1);
      assertThat(unix.read(ask)).isEqualTo(1);
      assertThat((char) ask.get(0)).isEqualTo('R');
      Map<String, Object> o = overviewWhen(x -> kind(x, "unix") == 1);
      assertThat(kind(o, "unix")).isEqualTo(1.0);
      assertThat(get("/metrics")).contains("breakwater_clients_by_kind{kind=\"unix\"} 1.0");
    }
    assertThat(kind(overviewWhen(x -> kind(x, "unix") == 0), "unix")).isZero();
  }
}
