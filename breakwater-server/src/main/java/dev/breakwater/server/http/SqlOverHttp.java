package dev.breakwater.server.http;

import dev.breakwater.server.frontend.Frontend;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.local.LocalChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AttributeKey;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * {@code POST /sql}, Neon's SQL over HTTP, and its CORS preflight. Request bodies are limited by
 * {@code http_max_request_size} (413, before this is reached), answers by {@code
 * http_max_response_size} (507). Each request becomes a client of
 * the pooler through {@link LocalClients} and is answered from what {@link SqlSession} builds.
 * While a request runs, further requests on its HTTP connection wait for its answer (answers stay
 * in order) and the connection is not closed as idle; if the HTTP client goes away first, the pooler's client is closed, which cancels
 * its query and rolls back its transaction as for a TCP client that vanishes.
 */
final class SqlOverHttp {

  /** Set on an HTTP connection while one of its requests runs. */
  static final AttributeKey<Boolean> BUSY = AttributeKey.valueOf("breakwater.sql.busy");

  private static final String ALLOW_HEADERS =
      "Authorization, Neon-Connection-String, Neon-Raw-Text-Output, Neon-Array-Mode, Neon-Pool-Opt-In, "
          + "Neon-Batch-Read-Only, Neon-Batch-Isolation-Level, Neon-Batch-Deferrable";

  private final LocalClients clients;
  private final Frontend frontend;

  SqlOverHttp(LocalClients clients, Frontend frontend) {
    this.clients = clients;
    this.frontend = frontend;
  }

  /**
   * Answers a request to /sql; {@code answered} runs on the HTTP connection's loop once the answer
   * of a request that went to the pooler is written (requests that came meanwhile wait for it).
   */
  void handle(ChannelHandlerContext ctx, FullHttpRequest request, Runnable answered) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (request.method().equals(HttpMethod.OPTIONS)) {
      FullHttpResponse r = response(HttpResponseStatus.OK, new byte[0], null);
      r.headers()
          .set(HttpHeaderNames.ALLOW, "OPTIONS, POST")
          .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS)
          .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_METHODS, "OPTIONS, POST")
          .set(HttpHeaderNames.ACCESS_CONTROL_MAX_AGE, "86400");
      send(ctx.channel(), r, keepAlive);
      return;
    }
    if (!request.method().equals(HttpMethod.POST)) {
      FullHttpResponse r = response(HttpResponseStatus.METHOD_NOT_ALLOWED,
          SqlSession.messageJson("only POST and OPTIONS on /sql", "").getBytes(StandardCharsets.UTF_8), "application/json");
      r.headers().set(HttpHeaderNames.ALLOW, "OPTIONS, POST");
      send(ctx.channel(), r, keepAlive);
      return;
    }
    if (request.headers().contains("Authorization") && !request.headers().contains("Neon-Connection-String")) {
      json(ctx.channel(), 400, SqlSession.messageJson("JWT authentication (authToken) is not supported by Breakwater", ""), Map.of(), keepAlive);
      return;
    }
    SqlRequest parsed;
    try {
      parsed = SqlRequest.parse(request.headers(), request.content().toString(StandardCharsets.UTF_8));
    } catch (SqlRequest.BadRequest e) {
      json(ctx.channel(), 400, SqlSession.messageJson(e.getMessage(), ""), Map.of(), keepAlive);
      return;
    }
    Channel http = ctx.channel();
    // http_max_response_size as it is now: a reload applies to the next request.
    int maxResponse = frontend.settings().general().httpMaxResponseSize();
    int maxMessage = (int) Math.min(Integer.MAX_VALUE, maxResponse + 65536L);
    http.attr(BUSY).set(true);
    Channel[] local = new Channel[1];
    ChannelFutureListener onHttpClosed = f -> {
      Channel l = local[0];
      if (l != null) {
        l.close();
      }
    };
    SqlSession session =
        new SqlSession(parsed, maxResponse, answer -> {
          http.closeFuture().removeListener(onHttpClosed);
          http.eventLoop().execute(() -> {
            http.attr(BUSY).set(false);
            json(http, answer.status(), answer.json(), answer.headers(), keepAlive);
            answered.run();
          });
        });
    ChannelFuture connected =
        clients.connect(
            http.remoteAddress(),
            http.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null,
            new ChannelInitializer<LocalChannel>() {
              @Override
              protected void initChannel(LocalChannel ch) {
                ch.pipeline()
                    .addLast(new LengthFieldBasedFrameDecoder(maxMessage, 1, 4, -4, 0))
                    .addLast(session);
              }
            });
    local[0] = connected.channel();
    http.closeFuture().addListener(onHttpClosed);
    connected.addListener(f -> {
      if (!f.isSuccess()) {
        http.closeFuture().removeListener(onHttpClosed);
        http.eventLoop().execute(() -> {
          http.attr(BUSY).set(false);
          json(http, 500, SqlSession.messageJson("cannot reach the pooler: " + f.cause(), ""), Map.of(), keepAlive);
          answered.run();
        });
      }
    });
  }

  private static FullHttpResponse response(HttpResponseStatus status, byte[] body, String type) {
    FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
    r.headers()
        .set(HttpHeaderNames.CONTENT_LENGTH, body.length)
        .set(HttpHeaderNames.ACCESS_CONTROL_ALLOW_ORIGIN, "*")
        .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
    if (type != null) {
      r.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    }
    return r;
  }

  private static void json(Channel ch, int status, String json, Map<String, String> headers, boolean keepAlive) {
    FullHttpResponse r =
        response(HttpResponseStatus.valueOf(status), json.getBytes(StandardCharsets.UTF_8), "application/json");
    headers.forEach((k, v) -> r.headers().set(k, v));
    send(ch, r, keepAlive);
  }

  private static void send(Channel ch, FullHttpResponse r, boolean keepAlive) {
    if (!ch.isActive()) {
      r.release();
      return;
    }
    if (keepAlive) {
      r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ch.writeAndFlush(r);
    } else {
      ch.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
