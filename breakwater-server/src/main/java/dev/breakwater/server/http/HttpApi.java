package dev.breakwater.server.http;

import dev.breakwater.server.admin.Console;
import dev.breakwater.server.admin.Observed;
import dev.breakwater.server.admin.View;
import dev.breakwater.server.config.General;
import dev.breakwater.server.pool.Pool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routes of the HTTP endpoint: health and probes, Prometheus metrics, the SHOW views as JSON,
 * and the dashboard's page and data. GET and HEAD only; everything is read-only.
 */
@ChannelHandler.Sharable
final class HttpApi extends SimpleChannelInboundHandler<FullHttpRequest> {

  private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
  private static final String JSON = "application/json; charset=utf-8";
  /** Prometheus text exposition format 0.0.4. */
  private static final String PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
  private static final String RESOURCES = "/dev/breakwater/server/http/dashboard/";
  /** The dashboard's files and their types. */
  private static final Map<String, String> FILES =
      Map.of(
          "index.html", "text/html; charset=utf-8",
          "dashboard.js", "text/javascript; charset=utf-8",
          "dashboard.css", "text/css; charset=utf-8",
          "favicon.svg", "image/svg+xml");
  /** The SHOW views published under /api/. */
  private static final List<String> API_VIEWS = List.of("pools", "clients", "servers", "stats", "databases");

  private final Console console;
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();

  private final SqlOverHttp sql;
  private final History history;

  HttpApi(Console console, SqlOverHttp sql) {
    this(console, sql, new History());
  }

  HttpApi(Console console, SqlOverHttp sql, History history) {
    this.console = console;
    this.sql = sql;
    this.history = history;
  }

  /** A response's status, type and body. */
  record Response(HttpResponseStatus status, String contentType, byte[] body) {
    static Response json(int status, String json) {
      return new Response(HttpResponseStatus.valueOf(status), JSON, json.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Requests that came while a POST /sql of the same connection ran: answered after it, in order. */
  private static final io.netty.util.AttributeKey<java.util.ArrayDeque<FullHttpRequest>> QUEUED =
      io.netty.util.AttributeKey.valueOf("breakwater.http.queued");
  private static final int MAX_QUEUED = 16;

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (Boolean.TRUE.equals(ctx.channel().attr(SqlOverHttp.BUSY).get())) {
      java.util.ArrayDeque<FullHttpRequest> q = ctx.channel().attr(QUEUED).get();
      if (q == null) {
        q = new java.util.ArrayDeque<>();
        ctx.channel().attr(QUEUED).set(q);
      }
      if (q.size() >= MAX_QUEUED) {
        ctx.close();
        return;
      }
      q.add(request.retain());
      return;
    }
    answer(ctx, request);
  }

  /** A POST /sql was answered: the requests queued behind it are answered now. On the channel's loop. */
  void drain(ChannelHandlerContext ctx) {
    java.util.ArrayDeque<FullHttpRequest> q = ctx.channel().attr(QUEUED).get();
    FullHttpRequest next;
    while (q != null && !Boolean.TRUE.equals(ctx.channel().attr(SqlOverHttp.BUSY).get()) && (next = q.poll()) != null) {
      try {
        if (ctx.channel().isActive()) {
          answer(ctx, next);
        }
      } finally {
        next.release();
      }
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    java.util.ArrayDeque<FullHttpRequest> q = ctx.channel().attr(QUEUED).getAndSet(null);
    if (q != null) {
      q.forEach(FullHttpRequest::release);
    }
    super.channelInactive(ctx);
  }

  private void answer(ChannelHandlerContext ctx, FullHttpRequest request) {
    Response r;
    if (request.decoderResult().isSuccess() && sql != null
        && console.observed().breakwater().frontend().settings().general().httpServerless()
        && new QueryStringDecoder(request.uri()).path().equals("/sql")) {
      sql.handle(ctx, request, () -> drain(ctx));
      return;
    }
    String path = request.decoderResult().isSuccess() ? new QueryStringDecoder(request.uri()).path() : "";
    General g = console.observed().breakwater().frontend().settings().general();
    if (!request.decoderResult().isSuccess()) {
      r = Response.json(400, "{\"error\":\"bad request\"}");
    } else if (!PROBES.contains(path) && !HostCheck.allowed(request.headers().get(HttpHeaderNames.HOST),
        ctx.channel().localAddress(), g.httpListenAddr(), g.httpAllowedHosts())) {
      // DNS rebinding: a page of another site, its name now resolving here, must read nothing.
      r = Response.json(421, "{\"error\":\"unknown host name; see http_allowed_hosts\"}");
    } else if (needsToken(path) && g.httpAuthToken() != null
        && !g.httpAuthToken().matches(bearer(request.headers().get(HttpHeaderNames.AUTHORIZATION)))) {
      r = Response.json(401, "{\"error\":\"a bearer token is required (http_auth_token_file)\"}");
    } else if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
      r = Response.json(405, "{\"error\":\"only GET and HEAD\"}");
    } else {
      try {
        r = route(path);
      } catch (RuntimeException e) {
        log.warn("HTTP {} failed", request.uri(), e);
        r = Response.json(500, "{\"error\":\"internal error\"}");
      }
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean head = request.method().equals(HttpMethod.HEAD);
    ByteBuf body = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body());
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), body);
    response.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, r.contentType())
        .set(HttpHeaderNames.CONTENT_LENGTH, r.body().length)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store")
        .set("X-Content-Type-Options", "nosniff");
    if (r.status().code() == 401) {
      response.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer realm=\"breakwater\"");
    }
    if (r.status().code() == 405) {
      response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
    }
    if (keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response);
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  /** Probes: open to any Host and without a token. */
  private static final java.util.Set<String> PROBES = java.util.Set.of("/live", "/ready");

  /** What the token guards: the data (the dashboard's files are not data). */
  static boolean needsToken(String path) {
    return path.startsWith("/api/") || path.equals("/metrics") || path.equals("/health");
  }

  /** The token of an {@code Authorization: Bearer TOKEN} header, or null. */
  static String bearer(String authorization) {
    if (authorization == null || authorization.length() < 7
        || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    return authorization.substring(7).strip();
  }

  Response route(String path) {
    Observed o = console.observed();
    switch (path) {
      case "/health":
        Health.Answer h = Health.evaluate(o);
        return Response.json(h.status(), h.json());
      case "/ready":
        return ready(o);
      case "/live":
        return Response.json(200, "{\"live\":true}");
      case "/metrics":
        return new Response(
            HttpResponseStatus.OK,
            PROMETHEUS,
            o.observer().metrics().scrape(o.breakwater().pools().all()).getBytes(StandardCharsets.UTF_8));
      case "/api/overview":
        return Response.json(200, Overview.json(o, Health.evaluate(o)));
      case "/api/history":
        return Response.json(200, history.json());
      case "/":
        return file("index.html");
      default:
        break;
    }
    if (path.startsWith("/api/")) {
      String name = path.substring("/api/".length());
      View v = API_VIEWS.contains(name) ? console.view(name) : null;
      if (v != null) {
        return Response.json(200, v.show(o).toJson());
      }
    } else if (FILES.containsKey(path.substring(1))) {
      return file(path.substring(1));
    }
    return Response.json(404, "{\"error\":\"not found\"}");
  }

  private static Response ready(Observed o) {
    String reason = null;
    if (!o.breakwater().frontend().acceptingClients()) {
      reason = "not accepting clients (shutting down)";
    } else {
      if (o.breakwater().control().isPaused(null)) {
        reason = "paused";
      }
    }
    Json json = new Json().beginObject().field("ready", reason == null);
    if (reason != null) {
      json.field("reason", reason);
    }
    return Response.json(reason == null ? 200 : 503, json.endObject().toString());
  }

  private Response file(String name) {
    byte[] body =
        files.computeIfAbsent(
            name,
            n -> {
              try (InputStream in = HttpApi.class.getResourceAsStream(RESOURCES + n)) {
                return in == null ? null : in.readAllBytes();
              } catch (IOException e) {
                return null;
              }
            });
    if (body == null) {
      return Response.json(404, "{\"error\":\"not found\"}");
    }
    return new Response(HttpResponseStatus.OK, FILES.get(name), body);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("HTTP connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
