package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * DNS rebinding: a request whose Host names another site is answered 421 (nothing read), except
 * the probes; localhost, the address connected to and http_allowed_hosts are accepted.
 */
class HttpHostCheckIT {

  static Pooler pooler;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(port))
            .set("http_allowed_hosts", "bw.example")
            .start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
  }

  /** The status line of a raw GET with this Host header (java.net.http does not let one set Host). */
  static String get(String path, String host) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      String hostLine = host == null ? "" : "Host: " + host + "\r\n";
      out.write(("GET " + path + " HTTP/1.1\r\n" + hostLine + "Connection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String all = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      return all.substring(0, all.indexOf("\r\n"));
    }
  }

  @Test
  void anotherSitesNameReadsNothing() throws Exception {
    for (String path : new String[] {"/api/clients", "/metrics", "/health", "/", "/api/overview"}) {
      assertThat(get(path, "evil.example:" + port)).as(path).isEqualTo("HTTP/1.1 421 Misdirected Request");
      assertThat(get(path, "localhost:" + port)).as(path).contains(" 200 ");
      assertThat(get(path, "127.0.0.1:" + port)).as(path).contains(" 200 ");
      assertThat(get(path, "BW.example")).as(path).contains(" 200 ");
    }
    assertThat(get("/api/pools", "127.0.0.2:" + port)).contains(" 421 ");
    assertThat(get("/api/pools", "[::1]:" + port)).contains(" 421 ");
  }

  @Test
  void probesAnswerAnyName() throws Exception {
    assertThat(get("/live", "evil.example")).contains(" 200 ");
    assertThat(get("/ready", "evil.example")).contains(" 200 ");
  }
}
