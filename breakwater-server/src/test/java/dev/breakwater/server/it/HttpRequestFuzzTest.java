package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.server.fuzz.Gen;
import dev.breakwater.testkit.LeakCheck;
import dev.breakwater.testkit.TempFiles;
import dev.breakwater.testkit.TestPostgres.Roles;
import dev.breakwater.testkit.TestPostgres;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP listener with a token set, fed mutated requests (request line, path spellings, Host,
 * Authorization) over TCP: whatever comes, no answer carries data (a user's name, a metric) unless
 * the request held the token, and the listener keeps answering.
 */
@ExtendWith(LeakCheck.class)
class HttpRequestFuzzTest {

  static final String TOKEN = "fuzz-token-0123456789abcdef";
  static Pooler pooler;
  static Path tokenFile;
  static Connection client;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    tokenFile = Files.createTempFile("bw-fuzz-token-", ".txt");
    Files.writeString(tokenFile, TOKEN + "\n");
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(port))
            .set("http_serverless", "1")
            .set("http_auth_token_file", tokenFile.toString())
            .start();
    client = pooler.connect(Roles.PLAIN); // a client whose user name /api/clients would show
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (pooler != null) {
      pooler.close();
    }
    TempFiles.delete(tokenFile);
  }

  static String exchange(byte[] request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      try {
        out.write(request);
        out.flush();
        s.shutdownOutput();
      } catch (java.net.SocketException closed) {
        // refused early: read what came
      }
      InputStream in = s.getInputStream();
      try {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      } catch (java.net.SocketException reset) {
        return "";
      }
    }
  }

  /** Not vacuous: with the token, some answers do carry data. */
  @Test
  void noDataWithoutTheToken() {
    int[] withTokenData = {0};
    Fuzz.check(1000, requests(), request -> {
      String text = new String(request, StandardCharsets.ISO_8859_1);
      String answer = exchange(request);
      boolean data = answer.contains(Roles.PLAIN) || answer.contains("breakwater_pool");
      if (text.contains(TOKEN)) {
        withTokenData[0] += data ? 1 : 0;
      } else {
        assertThat(answer).as("answer to %s", text).doesNotContain(Roles.PLAIN).doesNotContain("breakwater_pool");
      }
      assertThat(exchange("GET /live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)))
          .startsWith("HTTP/1.1 200");
    });
    assertThat(withTokenData[0]).as("answers with data to a request with the token").isPositive();
  }

  static Gen<byte[]> requests() {
    Gen<String> method = Gen.of("GET", "GET", "HEAD", "POST", "get", "OPTIONS");
    Gen<String> path =
        Gen.of("/api/clients", "//api/clients", "/api/../api/clients", "/API/clients", "/api/clients?x=1",
            "/api/clients/", "/%61pi/clients", "/metrics", "/metrics#x", "/health", "/api/overview", "/./metrics",
            "http://localhost/api/clients", "*", "/sql", "/v2");
    Gen<String> host = Gen.of("localhost", "127.0.0.1", "127.0.0.1", "evil.example", "", "localhost:1", "[::1]");
    Gen<String> auth =
        Gen.of("", "Authorization: Bearer wrong\r\n", "Authorization: Basic " + TOKEN + "\r\n",
            "Authorization: Bearer " + TOKEN.substring(1) + "\r\n", "Authorization: Bearer " + TOKEN + "\r\n",
            "Authorization: Bearer " + TOKEN + "\r\n", "Authorization: bearer " + TOKEN + "\r\n",
            "Authorization: Bearer\r\n");
    Gen<String> valid =
        Gen.combine(method, path, host, auth,
            (m, p, h, a) -> m + " " + p + " HTTP/1.1\r\nHost: " + h + "\r\n" + a + "Connection: close\r\n\r\n");
    Gen<byte[]> bytes = valid.map(s -> s.getBytes(StandardCharsets.ISO_8859_1));
    return Gen.oneOf(bytes, Fuzz.mutated(bytes));
  }
}
