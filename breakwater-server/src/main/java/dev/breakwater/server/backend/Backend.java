package dev.breakwater.server.backend;

import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.ScramCache;
import dev.breakwater.server.Transport;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolClient;
import dev.breakwater.server.pool.ServerLauncher;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What server connections share: the event loops, the transport, name resolution off the event
 * loop, the auth file's secrets for server login, and the SCRAM key cache.
 */
public final class Backend implements ServerLauncher {

  private static final Logger log = LoggerFactory.getLogger(Backend.class);

  private volatile java.util.Map<ChannelOption<?>, Object> tcpOptions =
      java.util.Map.of(ChannelOption.SO_KEEPALIVE, true);
  private final Transport transport;
  private final EventLoopGroup workers;
  private final AddressResolverGroup<InetSocketAddress> resolver;
  private volatile Function<String, Secret> secrets;
  private final ScramCache scramCache;
  private final PreparedStatements preparedStatements = new PreparedStatements();
  private volatile int maxPreparedStatements;
  private volatile dev.breakwater.server.stats.ConnectionEvents events =
      dev.breakwater.server.stats.ConnectionEvents.NONE;
  private volatile dev.breakwater.server.tls.Tls tls;

  public Backend(
      Transport transport,
      EventLoopGroup workers,
      AddressResolverGroup<InetSocketAddress> resolver,
      Function<String, Secret> secrets,
      ScramCache scramCache) {
    this.transport = transport;
    this.workers = workers;
    this.resolver = resolver;
    this.secrets = secrets;
    this.scramCache = scramCache;
  }

  private final java.util.concurrent.ConcurrentHashMap<Pool, Listener> listeners =
      new java.util.concurrent.ConcurrentHashMap<>();

  /** The pool's shared listening connection (made on first use). */
  public Listener listener(Pool pool) {
    return listeners.computeIfAbsent(pool, p -> new Listener(this, p));
  }

  /** A pool was removed: its listening connection, if any, is closed and forgotten. */
  public void forget(Pool pool) {
    Listener l = listeners.remove(pool);
    if (l != null) {
      l.close();
    }
  }

  /** The listeners there are, for shutdown. */
  public java.util.Collection<Listener> listeners() {
    return listeners.values();
  }

  ServerConnection createListener(Pool pool, Listener listener) {
    return new ServerConnection(this, pool, workers.next(), listener);
  }

  @Override
  public ServerConnection createReplication(Pool pool, PoolClient client) {
    // On the client's loop: every relayed byte stays on one thread. Only a client of the server
    // side (a LinkedClient) asks for a replication server.
    return new ServerConnection(this, pool, client.eventLoop(), null, (LinkedClient) client);
  }

  @Override
  public ServerConnection create(Pool pool, EventLoop loop) {
    return new ServerConnection(this, pool, loop != null && isWorker(loop) ? loop : workers.next());
  }

  /**
   * Whether a client's loop is one of the pooler's own: the HTTP listener's clients ({@code POST
   * /sql} on in-process channels, WebSocket sessions) run on loops of their own, where a server
   * cannot be (or should not be) registered.
   */
  private boolean isWorker(EventLoop loop) {
    if (workers == null) {
      return true; // no worker group (the benchmarks' harness): the loop given is the one
    }
    for (io.netty.util.concurrent.EventExecutor e : workers) {
      if (e == loop) {
        return true;
      }
    }
    return false;
  }

  /** Who hears of server connections logging in and closing (metrics, connection logs). */
  public dev.breakwater.server.stats.ConnectionEvents events() {
    return events;
  }

  public void events(dev.breakwater.server.stats.ConnectionEvents events) {
    this.events = events;
  }

  /** The auth file's secret for a user, or null. */
  Secret secret(String user) {
    return secrets.apply(user);
  }

  /** A reload swaps the auth file's secrets. */
  public void secrets(Function<String, Secret> secrets) {
    this.secrets = secrets;
  }

  ScramCache scramCache() {
    return scramCache;
  }

  /** TLS toward PostgreSQL, per the current settings. */
  public dev.breakwater.server.tls.Tls tls() {
    return tls;
  }

  public void tls(dev.breakwater.server.tls.Tls tls) {
    this.tls = tls;
  }

  public PreparedStatements preparedStatements() {
    return preparedStatements;
  }

  /** max_prepared_statements: how many statements each server keeps; 0 turns mapping off. */
  public int maxPreparedStatements() {
    return maxPreparedStatements;
  }

  /** The socket options of new connections to PostgreSQL (tcp_keepalive and the like), immutable. */
  public void tcpOptions(java.util.Map<ChannelOption<?>, Object> options) {
    this.tcpOptions = options;
  }

  public void maxPreparedStatements(int max) {
    this.maxPreparedStatements = max;
  }

  ChannelFuture connect(EventLoop loop, String host, int port, ChannelHandler handler) {
    Bootstrap b =
        new Bootstrap()
            .group(loop)
            .channel(transport.socketChannel())
            .resolver(resolver)
            .handler(handler);
    for (java.util.Map.Entry<ChannelOption<?>, Object> e : tcpOptions.entrySet()) {
      @SuppressWarnings("unchecked")
      ChannelOption<Object> option = (ChannelOption<Object>) e.getKey();
      b.option(option, e.getValue());
    }
    return b.connect(address(host, port));
  }

  /** An address Netty resolves off the event loop, unless it is already a literal. */
  private static InetSocketAddress address(String host, int port) {
    byte[] literal = NetUtil.createByteArrayFromIpAddressString(host);
    if (literal != null) {
      try {
        return new InetSocketAddress(InetAddress.getByAddress(host, literal), port);
      } catch (UnknownHostException e) {
        // cannot happen for a literal; fall through to resolution
      }
    }
    return InetSocketAddress.createUnresolved(host, port);
  }

  /**
   * A CancelRequest for a peer process ({@code [peers]}): as {@link #cancel}, and {@code host} may
   * be a directory, where the peer's Unix socket {@code .s.PGSQL.<port>} is.
   */
  public io.netty.util.concurrent.Future<Void> forwardCancel(
      EventLoop loop, String host, int port, int pid, int secret) {
    return cancel(loop, host, port, pid, secret, false);
  }

  /** A connection to {@code host}: a Unix socket when it is a directory (starts with '/'). */
  private ChannelFuture connectAny(EventLoop loop, String host, int port, ChannelHandler handler) {
    if (!host.startsWith("/")) {
      return connect(loop, host, port, handler);
    }
    if (transport.domainChannel() == null) {
      throw new IllegalStateException("Unix sockets need a native transport (epoll or io_uring): " + host);
    }
    return new Bootstrap()
        .group(loop)
        .channel(transport.domainChannel())
        .handler(handler)
        .connect(new io.netty.channel.unix.DomainSocketAddress(host + "/.s.PGSQL." + port));
  }

  /**
   * Sends a CancelRequest over a connection of its own. The future completes on {@code loop} once
   * PostgreSQL has closed that connection, which it does after it has signalled the backend (or
   * after {@link #CANCEL_WAIT_MILLIS}, or on failure): until then the server must not run another
   * client's query, which the cancel could still reach.
   */
  io.netty.util.concurrent.Future<Void> cancel(
      EventLoop loop, String host, int port, int pid, int secret, boolean overTls) {
    io.netty.util.concurrent.Promise<Void> done = loop.newPromise();
    if (host.startsWith("/") && transport.domainChannel() == null) {
      log.warn("cancel request to {}:{} not sent: Unix sockets need a native transport (epoll or io_uring)", host, port);
      return done.setSuccess(null);
    }
    dev.breakwater.server.tls.Tls tls = overTls ? tls() : null;
    ChannelFuture connecting =
        connectAny(
            loop,
            host,
            port,
            new ChannelInboundHandlerAdapter() {
              /** Waiting for the one-byte answer to SSLRequest. */
              private boolean askedTls;

              @Override
              public void channelActive(ChannelHandlerContext ctx) {
                if (tls != null) {
                  // As the server's own connection: TLS first, the key never in the clear.
                  askedTls = true;
                  ByteBuf out = ctx.alloc().buffer(8);
                  dev.breakwater.protocol.FrontendMessages.sslRequest(out);
                  ctx.writeAndFlush(out);
                } else {
                  send(ctx);
                }
                ctx.executor()
                    .schedule(() -> {
                      ctx.close();
                    }, CANCEL_WAIT_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
              }

              private void send(ChannelHandlerContext ctx) {
                ByteBuf out = ctx.alloc().buffer(16);
                FrontendMessages.cancelRequest(out, pid, secret);
                ctx.writeAndFlush(out);
              }

              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ByteBuf in = (ByteBuf) msg;
                try {
                  if (!askedTls || !in.isReadable()) {
                    return;
                  }
                  askedTls = false;
                  byte answer = in.readByte();
                  if (answer == 'S' && !in.isReadable()) {
                    io.netty.handler.ssl.SslHandler h = tls.newServerHandler(ctx.alloc(), host, port);
                    ctx.pipeline().addFirst("tls", h);
                    h.handshakeFuture()
                        .addListener(
                            f -> {
                              if (f.isSuccess()) {
                                send(ctx);
                              } else {
                                log.warn("cancel request to {}:{} not sent: TLS handshake failed: {}",
                                    host, port, dev.breakwater.server.tls.Tls.reason(f.cause()));
                                ctx.close();
                              }
                            });
                  } else {
                    // The server's own connection is encrypted: a server that now refuses TLS is
                    // not the one it logged in to. The key is not sent in the clear.
                    log.warn("cancel request to {}:{} not sent: the server refused TLS (answer {})",
                        host, port, (char) answer);
                    ctx.close();
                  }
                } finally {
                  in.release();
                }
              }

              @Override
              public void channelInactive(ChannelHandlerContext ctx) {
                done.trySuccess(null);
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                log.warn("cancel request to {}:{} failed: {}", host, port, cause.toString());
                ctx.close();
              }
            });
    connecting.addListener(
        (ChannelFuture f) -> {
          if (!f.isSuccess()) {
            log.warn("cancel request to {}:{} failed: {}", host, port, f.cause().toString());
            done.trySuccess(null);
          }
        });
    return done;
  }

  /** How long a cancel's connection is kept waiting for PostgreSQL to close it. */
  static final long CANCEL_WAIT_MILLIS = 2_000;
}
