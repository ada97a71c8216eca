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
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.local.LocalAddress;
import io.netty.channel.local.LocalChannel;
import io.netty.channel.local.LocalIoHandler;
import io.netty.channel.local.LocalServerChannel;
import io.netty.util.concurrent.EventExecutor;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
  /**
   * One in-process port per event loop, bound on that loop: a request's two ends, its {@link
   * SqlSession} and its pooler client, are on the same loop, so the bytes between them never cross
   * threads; requests are dealt round-robin over the loops.
   */
  private final Map<EventExecutor, LocalAddress> ports;
  private final List<Channel> servers = new ArrayList<>();
  /** The peer of each connecting request, by the request's local address, until it is accepted. */
  private final ConcurrentHashMap<SocketAddress, EdgeClient> connecting = new ConcurrentHashMap<>();

  LocalClients(Frontend frontend, int threads) throws InterruptedException {
    group = new MultiThreadIoEventLoopGroup(threads, new io.netty.util.concurrent.DefaultThreadFactory("bw-sql", true),
        LocalIoHandler.newFactory());
    ChannelInitializer<LocalChannel> init =
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
        };
    Map<EventExecutor, LocalAddress> bound = new HashMap<>();
    long id = SEQUENCE.incrementAndGet();
    try {
      int n = 0;
      for (EventExecutor e : group) {
        EventLoop loop = (EventLoop) e;
        LocalAddress address = new LocalAddress("breakwater-sql-" + id + "-" + n++);
        servers.add(
            new ServerBootstrap()
                .group(loop, loop)
                .channel(LocalServerChannel.class)
                .childHandler(init)
                .bind(address)
                .sync()
                .channel());
        bound.put(loop, address);
      }
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
    ports = Map.copyOf(bound);
  }

  /**
   * Connects a new client of the pooler for a request from {@code peer} (over TLS or not); {@code
   * handler} speaks for it.
   */
  ChannelFuture connect(SocketAddress peer, boolean tls, ChannelHandler handler) {
    EventLoop loop = group.next();
    LocalAddress local = new LocalAddress("breakwater-sql-client-" + SEQUENCE.incrementAndGet());
    connecting.put(local, new EdgeClient(EdgeClient.Kind.HTTP, peer, tls));
    ChannelFuture f =
        new Bootstrap().group(loop).channel(LocalChannel.class).handler(handler).connect(ports.get(loop), local);
    f.addListener(done -> {
      if (!done.isSuccess()) {
        connecting.remove(local);
      }
    });
    return f;
  }

  @Override
  public void close() {
    for (Channel server : servers) {
      server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
