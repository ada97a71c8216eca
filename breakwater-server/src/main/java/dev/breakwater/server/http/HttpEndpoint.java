package dev.breakwater.server.http;

import dev.breakwater.server.Transport;
import dev.breakwater.server.admin.Console;
import dev.breakwater.server.config.General;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP listener on {@code http_listen_addr}:{@code http_listen_port}, on event loops of its
 * own so that scrapes and the dashboard never delay the pooler's loops: as many as the pooler has
 * (worker_threads, else one per core), each HTTP connection, and so each WebSocket
 * session, staying on one of them. Requests are read whole (at most {@code
 * http_max_request_size}, for {@code POST /sql}); idle connections are closed after a minute. Neon's
 * serverless driver is served here too: {@code POST /sql} ({@link SqlOverHttp}) and the WebSocket
 * {@code /v2} ({@link WebSocketTunnel}), both clients of the same pools as TCP clients.
 */
public final class HttpEndpoint implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HttpEndpoint.class);

  private final EventLoopGroup group;
  private final Channel channel;
  private final LocalClients sqlClients;

  private HttpEndpoint(EventLoopGroup group, Channel channel, LocalClients sqlClients) {
    this.group = group;
    this.channel = channel;
    this.sqlClients = sqlClients;
  }

  /**
   * Binds and starts answering on {@code threads} event loops (and as many for the in-process
   * clients of {@code POST /sql}); an empty address means 127.0.0.1, {@code *} every address.
   */
  public static HttpEndpoint start(Transport transport, String address, int port, int threads, Console console)
      throws InterruptedException {
    int loops = Math.max(1, threads);
    EventLoopGroup group = transport.newGroup(loops, "bw-http");
    dev.breakwater.server.frontend.Frontend frontend = console.observed().breakwater().frontend();
    if (frontend.settings().general().httpTls()
        && (frontend.tls() == null || !frontend.tls().offersClientTls())) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new io.netty.channel.ChannelException(
          "http_tls = 1 needs client_tls_key_file and client_tls_cert_file (and client_tls_sslmode not disable)");
    }
    LocalClients sqlClients;
    try {
      sqlClients = new LocalClients(frontend, loops);
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
    History history = new History();
    HttpApi api = new HttpApi(console, new SqlOverHttp(sqlClients, frontend), history);
    // The dashboard's last 15 minutes, sampled whether or not a page is open.
    group.next().scheduleAtFixedRate(() -> {
      try {
        history.sample(console.observed());
      } catch (RuntimeException e) {
        log.warn("dashboard history: sampling failed: {}", e.toString());
      }
    }, History.INTERVAL_MS, History.INTERVAL_MS, TimeUnit.MILLISECONDS);
    try {
      Channel ch =
          new ServerBootstrap()
              .group(group)
              .channel(transport.serverChannel())
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      dev.breakwater.server.config.General g = frontend.settings().general();
                      if (g.httpTls()) {
                        dev.breakwater.server.tls.Tls tls = frontend.tls();
                        if (tls == null || !tls.offersClientTls()) {
                          ch.close();
                          return;
                        }
                        ch.pipeline().addLast("tls", tls.newClientHandler(ch.alloc()));
                      }
                      ch.pipeline()
                          .addLast("idle", new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS) {
                            @Override
                            protected void channelIdle(
                                io.netty.channel.ChannelHandlerContext ctx, IdleStateEvent evt) {
                              // Not while a POST /sql request runs: its query may take longer.
                              if (!Boolean.TRUE.equals(ctx.channel().attr(SqlOverHttp.BUSY).get())) {
                                ctx.close();
                              }
                            }
                          })
                          .addLast("http", new HttpServerCodec(4096, 16384, 8192))
                          .addLast("aggregator", new HttpObjectAggregator(g.httpMaxRequestSize()))
                          .addLast("api", api);
                      if (g.httpServerless()) {
                        ch.pipeline()
                            .addBefore("api", "ws", new WebSocketServerProtocolHandler(webSocket(g.httpMaxRequestSize())))
                            .addBefore("api", "tunnel", new WebSocketTunnel(frontend));
                      }
                    }
                  })
              .bind(host(address), port)
              .sync()
              .channel();
      General g = frontend.settings().general();
      log.info("HTTP endpoint on {}://{} (health, metrics, dashboard{})", g.httpTls() ? "https" : "http", hostPort(ch),
          g.httpServerless() ? ", Neon's serverless driver on /sql and /v2" : "");
      return new HttpEndpoint(group, ch, sqlClients);
    } catch (RuntimeException | InterruptedException e) {
      sqlClients.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    } catch (Exception e) {
      // A bind's failure, rethrown by sync() though checked.
      sqlClients.close();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new io.netty.channel.ChannelException(
          "cannot listen for HTTP on " + host(address) + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** The WebSocket endpoint /v2: frames of at most {@code maxFrame} bytes (http_max_request_size). */
  private static WebSocketServerProtocolConfig webSocket(int maxFrame) {
    return WebSocketServerProtocolConfig.newBuilder()
        .websocketPath("/v2")
        .checkStartsWith(true)
        .handleCloseFrames(false)
        .dropPongFrames(true)
        .handshakeTimeoutMillis(10_000)
        .decoderConfig(
            WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxFrame)
                .allowExtensions(false)
                .build())
        .build();
  }

  private static String host(String address) {
    if (address == null || address.isEmpty()) {
      return "127.0.0.1";
    }
    return address.equals("*") ? "0.0.0.0" : address;
  }

  private static String hostPort(Channel ch) {
    InetSocketAddress a = (InetSocketAddress) ch.localAddress();
    return a.getHostString() + ":" + a.getPort();
  }

  /** The port bound (the configured one). */
  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  @Override
  public void close() {
    channel.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    sqlClients.close();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
