package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.frontend.ClientKind;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Edge clients are spread over as many event loops as the pooler has ({@code -Dbreakwater.threads}
 * = 2 here): WebSocket sessions over the HTTP listener's loops ({@code bw-http}), the in-process
 * clients of {@code POST /sql} over theirs ({@code bw-sql}), and every session and request still
 * gets its own answers.
 */
class EdgeThreadsIT {

  static Pooler pooler;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_addr", "127.0.0.1")
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .poolSize(10)
            .threads(2)
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static Pool pool() {
    return pooler.breakwater().pools().all().stream()
        .filter(p -> p.key().database().equals(Roles.DATABASE) && p.key().user().equals(Roles.PLAIN))
        .findFirst()
        .orElse(null);
  }

  static List<ClientConnection> clients(ClientKind kind) {
    Pool p = pool();
    List<ClientConnection> l = new ArrayList<>();
    if (p != null) {
      for (ClientConnection c : p.clients(ClientConnection.class)) {
        if (c.kind() == kind) {
          l.add(c);
        }
      }
    }
    return l;
  }

  /** The names of the threads of the loops {@code clients} run on. */
  static Set<String> threads(List<ClientConnection> clients) throws Exception {
    Set<EventLoop> loops = new HashSet<>();
    for (ClientConnection c : clients) {
      loops.add(c.eventLoop());
    }
    Set<String> names = new HashSet<>();
    for (EventLoop loop : loops) {
      names.add(loop.submit(() -> Thread.currentThread().getName()).get(5, TimeUnit.SECONDS));
    }
    return names;
  }

  static Socket request(int i) throws Exception {
    String connectionString = "postgresql://" + Roles.PLAIN + ":"
        + URLEncoder.encode(Roles.password(Roles.PLAIN), StandardCharsets.UTF_8) + "@127.0.0.1:" + pooler.port() + "/"
        + Roles.DATABASE;
    String body = "{\"query\":\"SELECT $1::int * 10, pg_sleep(1.5)\",\"params\":[\"" + i + "\"]}";
    Socket s = new Socket("127.0.0.1", port);
    s.setSoTimeout(20_000);
    OutputStream out = s.getOutputStream();
    out.write(("POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nNeon-Connection-String: " + connectionString
        + "\r\nNeon-Raw-Text-Output: true\r\nNeon-Array-Mode: true\r\nContent-Type: text/plain\r\nContent-Length: "
        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
    out.flush();
    return s;
  }

  static String answer(Socket s) throws Exception {
    InputStream in = s.getInputStream();
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    in.transferTo(got);
    return got.toString(StandardCharsets.UTF_8);
  }

  @Test
  void edgeClientsRunOnEveryLoop() throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    List<WebSocketTunnelIT.Session> sessions = new ArrayList<>();
    List<Socket> requests = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        WebSocketTunnelIT.Session ws =
            new WebSocketTunnelIT.Session(http, URI.create("ws://127.0.0.1:" + port + "/v2?address=ignored:5432"));
        sessions.add(ws);
        ByteBuf login = WebSocketTunnelIT.startup(Roles.PLAIN, Roles.DATABASE);
        FrontendMessages.password(login, Roles.password(Roles.PLAIN));
        FrontendMessages.query(login, "SELECT 'session " + i + "'");
        ws.send(login);
      }
      for (int i = 0; i < 4; i++) {
        requests.add(request(i));
      }
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while ((clients(ClientKind.WS).size() < 4 || clients(ClientKind.HTTP).size() < 4) && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      assertThat(clients(ClientKind.WS)).hasSize(4);
      assertThat(clients(ClientKind.HTTP)).hasSize(4);
      Set<String> ws = threads(clients(ClientKind.WS));
      Set<String> sql = threads(clients(ClientKind.HTTP));
      assertThat(ws).as("threads of the WebSocket sessions").hasSize(2).allMatch(n -> n.startsWith("bw-http-"));
      assertThat(sql).as("threads of the POST /sql clients").hasSize(2).allMatch(n -> n.startsWith("bw-sql-"));

      // Each gets its own answers, in order.
      for (int i = 0; i < 4; i++) {
        WebSocketTunnelIT.Session s = sessions.get(i);
        s.until('Z');
        assertThat(WebSocketTunnelIT.Session.rows(s.until('Z'))).isEqualTo(List.of(List.of("session " + i)));
        assertThat(s.query("SELECT " + i + " + 1")).isEqualTo(List.of(List.of(Integer.toString(i + 1))));
      }
      for (int i = 0; i < 4; i++) {
        String a = answer(requests.get(i));
        assertThat(a).startsWith("HTTP/1.1 200").contains("\"rows\":[[\"" + i * 10 + "\",\"\"]]");
      }
    } finally {
      sessions.forEach(WebSocketTunnelIT.Session::close);
      for (Socket s : requests) {
        s.close();
      }
    }
  }
}
