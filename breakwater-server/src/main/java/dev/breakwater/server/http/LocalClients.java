package dev.breakwater.server.http;

import dev.breakwater.server.frontend.EdgeClient;
import dev.breakwater.server.frontend.Frontend;
import dev.breakwater.server.frontend.StartupHandler;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An in-process PostgreSQL port for the HTTP listener's {@code POST /sql} requests: each request
 * connects a {@link LocalChannel} whose far end gets exactly the pipeline a TCP client gets (a
 * {@link StartupHandler}, then a {@code ClientConnection}), marked as an {@link EdgeClient} with the
 * HTTP client's address. So a request is a client like any other: authenticated from the auth
 * file, routed through [databases], counted against max_client_conn, queued with
 * query_wait_timeout, shown in SHOW CLIENTS and released with its transaction.
 */
final class LocalClients implements AutoCloseable {

  private static final AtomicLong SEQUENCE = new AtomicLong();

  private final EventLoopGroup group;
  private final Channel server;
  private final LocalAddress address;
  /** The peer of each connecting request, by the request's local address, until it is accepted. */
  private final ConcurrentHashMap<SocketAddress, EdgeClient> connecting = new ConcurrentHashMap<>();

  LocalClients(Frontend frontend) throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(1, new io.netty.util.concurrent.DefaultThreadFactory("bw-sql", true),
        LocalIoHandler.newFactory());
    address = new LocalAddress("breakwater-sql-" + SEQUENCE.incrementAndGet());
    try {
      server =
          new ServerBootstrap()
              .group(group)
              .channel(LocalServerChannel.class)
              .childHandler(
                  new ChannelInitializer<LocalChannel>() {
                    @Override
                    protected void initChannel(LocalChannel ch) {
                      EdgeClient edge = connecting.remove(ch.remoteAddress());
                      if (edge == null) {
                        ch.close();
                        return;
                      }
                      ch.attr(EdgeClient.KEY).set(edge);
                      ch.pipeline().addLast("startup", new StartupHandler(frontend));
                    }
                  })
              .bind(address)
              .sync()
              .channel();
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  /**
   * Connects a new client of the pooler for a request from {@code peer} (over TLS or not); {@code
   * handler} speaks for it.
   */
  ChannelFuture connect(SocketAddress peer, boolean tls, ChannelHandler handler) {
    LocalAddress local = new LocalAddress("breakwater-sql-client-" + SEQUENCE.incrementAndGet());
    connecting.put(local, new EdgeClient(EdgeClient.Kind.HTTP, peer, tls));
    ChannelFuture f =
        new Bootstrap().group(group).channel(LocalChannel.class).handler(handler).connect(address, local);
    f.addListener(done -> {
      if (!done.isSuccess()) {
        connecting.remove(local);
      }
    });
    return f;
  }

  @Override
  public void close() {
    server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
