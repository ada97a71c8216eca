package dev.breakwater.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/**
 * {@code GET /health} on the JDK's built-in HTTP server: the pool's {@link Health} as JSON, 200
 * when healthy and 503 when not. No framework; mount it on your own {@link HttpServer} or start one
 * with {@link #serve}.
 */
public final class HealthHandler implements HttpHandler {

  public static final String PATH = "/health";

  private final BreakwaterPool pool;

  public HealthHandler(BreakwaterPool pool) {
    this.pool = pool;
  }

  /**
   * Starts a server answering {@code /health} at the address (port 0 picks a free one). Stop it
   * with {@code server.stop(0)}; until then its dispatcher thread keeps the JVM running.
   */
  public static HttpServer serve(BreakwaterPool pool, InetSocketAddress address) throws IOException {
    HttpServer server = HttpServer.create(address, 0);
    server.createContext(PATH, new HealthHandler(pool));
    server.start();
    return server;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getPath().equals(PATH)) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        exchange.sendResponseHeaders(405, -1);
        return;
      }
      Health health = pool.health();
      byte[] body = health.toJson().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.getResponseHeaders().set("Cache-Control", "no-store");
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(health.httpStatus(), -1);
        return;
      }
      exchange.sendResponseHeaders(health.httpStatus(), body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }
  }
}
