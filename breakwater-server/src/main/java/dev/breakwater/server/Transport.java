package dev.breakwater.server;

import dev.breakwater.server.config.General;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Netty transport: native epoll where the platform has it, NIO otherwise; io_uring when asked
 * for with {@code -Dbreakwater.transport=io_uring} and the kernel allows it. {@code
 * serverDomainChannel} is null where Unix sockets are not supported.
 *
 * <p>io_uring is not the default although it measured more transactions per second on two shared
 * cores (bench/README.md): with Netty 4.2.18 an io_uring event loop sometimes never finishes
 * stopping (its teardown waits for a socket operation that does not complete, netty/netty#15582),
 * and the sockets it holds stay open until the process exits.
 */
public record Transport(
    String name,
    IoHandlerFactory ioHandlerFactory,
    Class<? extends ServerChannel> serverChannel,
    Class<? extends Channel> socketChannel,
    Class<? extends DatagramChannel> datagramChannel,
    Class<? extends ServerChannel> serverDomainChannel) {

  private static final Logger log = LoggerFactory.getLogger(Transport.class);

  /**
   * The transport named by {@code -Dbreakwater.transport} ({@code epoll}, {@code io_uring} or
   * {@code nio}; {@code epoll} when unset), falling back to the next one the platform has:
   * io_uring to epoll to NIO.
   */
  /** The client side of {@link #serverDomainChannel}: a Unix socket connection, or null. */
  public Class<? extends Channel> domainChannel() {
    if (serverDomainChannel == EpollServerDomainSocketChannel.class) {
      return io.netty.channel.epoll.EpollDomainSocketChannel.class;
    }
    if (serverDomainChannel == IoUringServerDomainSocketChannel.class) {
      return io.netty.channel.uring.IoUringDomainSocketChannel.class;
    }
    return null;
  }

  public static Transport detect() {
    String wanted = System.getProperty("breakwater.transport", "epoll").toLowerCase(Locale.ROOT);
    switch (wanted) {
      case "io_uring" -> {
        if (IoUring.isAvailable()) {
          return ioUring();
        }
        log.warn("io_uring is not available here ({}): using epoll", String.valueOf(IoUring.unavailabilityCause()));
        return epollOrNio();
      }
      case "epoll" -> {
        return epollOrNio();
      }
      case "nio" -> {
        return nio();
      }
      default -> {
        log.warn("unknown breakwater.transport '{}' (io_uring, epoll or nio): using epoll", wanted);
        return epollOrNio();
      }
    }
  }

  private static Transport epollOrNio() {
    if (Epoll.isAvailable()) {
      return epoll();
    }
    log.info("epoll is not available here ({}): using NIO", String.valueOf(Epoll.unavailabilityCause()));
    return nio();
  }

  private static Transport epoll() {
    return new Transport(
        "epoll",
        EpollIoHandler.newFactory(),
        EpollServerSocketChannel.class,
        EpollSocketChannel.class,
        EpollDatagramChannel.class,
        EpollServerDomainSocketChannel.class);
  }

  private static Transport ioUring() {
    return new Transport(
        "io_uring",
        IoUringIoHandler.newFactory(),
        IoUringServerSocketChannel.class,
        IoUringSocketChannel.class,
        IoUringDatagramChannel.class,
        IoUringServerDomainSocketChannel.class);
  }

  private static Transport nio() {
    return new Transport(
        "nio",
        NioIoHandler.newFactory(),
        NioServerSocketChannel.class,
        NioSocketChannel.class,
        NioDatagramChannel.class,
        null);
  }

  /**
   * The option that sets {@code SO_REUSEPORT} on a listening socket, or null where the transport
   * cannot set it (NIO). With it, every event loop listens on the port with a socket of its own,
   * and the kernel spreads new connections over them.
   */
  public ChannelOption<Boolean> reusePort() {
    return switch (name) {
      case "epoll" -> EpollChannelOption.SO_REUSEPORT;
      case "io_uring" -> IoUringChannelOption.SO_REUSEPORT;
      default -> null;
    };
  }

  private static final io.netty.channel.RecvByteBufAllocator SHARED_READ_SIZES =
      new io.netty.channel.AdaptiveRecvByteBufAllocator();

  /**
   * The socket options of a TCP connection, to a client or to PostgreSQL, as pgbouncer.ini sets
   * them: {@code tcp_keepalive} and, where set (non-zero), {@code tcp_keepidle}, {@code
   * tcp_keepintvl}, {@code tcp_keepcnt} and {@code tcp_user_timeout} (the last not on NIO, which
   * cannot set it). Not {@code TCP_NODELAY}: Netty turns it on for every TCP channel it makes, on
   * each transport, and setting it again cost a setsockopt per connection (TcpOptionsIT checks
   * that it is on).
   */
  public Map<ChannelOption<?>, Object> tcpOptions(General g) {
    Map<ChannelOption<?>, Object> o = new LinkedHashMap<>();
    o.put(ChannelOption.SO_KEEPALIVE, g.tcpKeepalive());
    // One read-size allocator for every connection (each still sizes its own reads): Netty makes
    // one per channel otherwise, 32 bytes that every idle client would keep.
    o.put(ChannelOption.RCVBUF_ALLOCATOR, SHARED_READ_SIZES);
    boolean keepalive = g.tcpKeepalive();
    switch (name) {
      case "epoll" -> {
        putIf(o, keepalive, EpollChannelOption.TCP_KEEPIDLE, g.tcpKeepidle());
        putIf(o, keepalive, EpollChannelOption.TCP_KEEPINTVL, g.tcpKeepintvl());
        putIf(o, keepalive, EpollChannelOption.TCP_KEEPCNT, g.tcpKeepcnt());
        putIf(o, true, EpollChannelOption.TCP_USER_TIMEOUT, g.tcpUserTimeout());
      }
      case "io_uring" -> {
        putIf(o, keepalive, IoUringChannelOption.TCP_KEEPIDLE, g.tcpKeepidle());
        putIf(o, keepalive, IoUringChannelOption.TCP_KEEPINTVL, g.tcpKeepintvl());
        putIf(o, keepalive, IoUringChannelOption.TCP_KEEPCNT, g.tcpKeepcnt());
        putIf(o, true, IoUringChannelOption.TCP_USER_TIMEOUT, g.tcpUserTimeout());
      }
      default -> {
        putIf(o, keepalive, NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPIDLE), g.tcpKeepidle());
        putIf(o, keepalive, NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPINTERVAL), g.tcpKeepintvl());
        putIf(o, keepalive, NioChannelOption.of(jdk.net.ExtendedSocketOptions.TCP_KEEPCOUNT), g.tcpKeepcnt());
      }
    }
    return o;
  }

  private static void putIf(Map<ChannelOption<?>, Object> o, boolean when, ChannelOption<Integer> option, int value) {
    if (when && value > 0) {
      o.put(option, value);
    }
  }

  /** Sets {@code options} on a connection that is already open (an accepted client). */
  @SuppressWarnings("unchecked")
  public static void apply(Channel ch, Map<ChannelOption<?>, Object> options) {
    for (Map.Entry<ChannelOption<?>, Object> e : options.entrySet()) {
      if (!ch.config().setOption((ChannelOption<Object>) e.getKey(), e.getValue())) {
        log.debug("{}: this transport cannot set {}", ch, e.getKey());
      }
    }
  }

  public EventLoopGroup newGroup(int threads, String threadName) {
    return new MultiThreadIoEventLoopGroup(
        threads,
        new DefaultThreadFactory(threadName, true),
        SpinningIoHandler.wrap(ioHandlerFactory));
  }
}
