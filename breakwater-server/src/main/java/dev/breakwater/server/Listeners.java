package dev.breakwater.server;

import dev.breakwater.server.config.General;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets clients connect to: one or more per {@code listen_addr} (TCP) and PgBouncer's Unix
 * socket in {@code unix_socket_dir}. Bound at start, closed at SHUTDOWN (the TCP ones first) and
 * at close; SUSPEND stops accepting on them.
 */
final class Listeners {

  /** Breakwater's logger: these are the server's own lines, and log settings name it. */
  private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

  private final Transport transport;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  /** The bound listening channels; guarded by itself once bound. */
  private final List<Channel> channels = new ArrayList<>();

  Listeners(Transport transport, EventLoopGroup acceptors, EventLoopGroup workers) {
    this.transport = transport;
    this.acceptors = acceptors;
    this.workers = workers;
  }

  /** Binds every listening socket of {@code g}; accepted connections go through {@code init}. */
  void bind(General g, ChannelInitializer<Channel> init) throws InterruptedException {
    for (String addr : g.listenAddr()) {
      if (addr.equals("*")) {
        // Every address: IPv6's wildcard takes IPv4 too where the system is dual-stack.
        try {
          listenOnTcp(g, "::", init);
        } catch (ChannelException e) {
          listenOnTcp(g, "0.0.0.0", init);
        }
      } else {
        listenOnTcp(g, addr, init);
      }
    }
    if (g.unixSocketDir() != null && !g.unixSocketDir().isBlank()) {
      listenOnUnixSocket(g, init);
    }
    Set<SocketAddress> logged = new HashSet<>();
    for (Channel ch : channels) {
      if (logged.add(ch.localAddress())) {
        log.info("listening on {} ({} transport)", ch.localAddress(), transport.name());
      }
    }
  }

  /**
   * Listens on one TCP address. Where the transport can set {@code SO_REUSEPORT} (epoll, io_uring),
   * every event loop gets a listening socket of its own and keeps the connections it accepts, so a
   * new client costs no hand-off between threads; the kernel spreads connections over the sockets.
   * Unless {@code so_reuseport} is set, a plain socket is bound first, so that a port another
   * process holds fails as it would without the option. NIO has one socket on the accepting thread,
   * which deals connections round-robin to the event loops ({@code so_reuseport} sets the option on
   * it).
   */
  private void listenOnTcp(General g, String host, ChannelInitializer<Channel> init) throws InterruptedException {
    ChannelOption<Boolean> reusePort = transport.reusePort();
    int port = g.listenPort();
    List<Channel> bound = new ArrayList<>();
    try {
      if (reusePort == null) {
        ServerBootstrap sb = tcpBootstrap(g, acceptors, workers, init);
        if (g.soReuseport()) {
          sb.option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
        }
        bound.add(sb.bind(host, port).sync().channel());
      } else {
        if (port != 0 && !g.soReuseport()) {
          try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
          }
        }
        for (EventExecutor e : workers) {
          EventLoop loop = (EventLoop) e;
          Channel ch = tcpBootstrap(g, loop, loop, init).option(reusePort, true).bind(host, port).sync().channel();
          bound.add(ch);
          // Port 0: the port the kernel chose for the first socket is the port of the others.
          port = ((InetSocketAddress) ch.localAddress()).getPort();
        }
      }
    } catch (InterruptedException e) {
      closeAll(bound);
      throw e;
    } catch (Exception e) {
      closeAll(bound);
      throw new ChannelException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    channels.addAll(bound);
  }

  private static void closeAll(List<Channel> channels) {
    for (Channel ch : channels) {
      ch.close().awaitUninterruptibly();
    }
  }

  private ServerBootstrap tcpBootstrap(
      General g, EventLoopGroup parent, EventLoopGroup child, ChannelInitializer<Channel> init) {
    return new ServerBootstrap()
        .group(parent, child)
        .channel(transport.serverChannel())
        .option(ChannelOption.SO_BACKLOG, g.listenBacklog() > 0 ? g.listenBacklog() : 4096)
        .option(ChannelOption.SO_REUSEADDR, true)
        .childHandler(init);
  }

  /** PgBouncer's Unix socket: {@code <unix_socket_dir>/.s.PGSQL.<listen_port>}, native transports only. */
  private void listenOnUnixSocket(General g, ChannelInitializer<Channel> init) throws InterruptedException {
    if (transport.serverDomainChannel() == null) {
      log.warn("unix_socket_dir is set, but Unix sockets need a native transport (epoll or io_uring): not listening on one");
      return;
    }
    Path socket = Path.of(g.unixSocketDir(), ".s.PGSQL." + g.listenPort());
    try {
      Files.deleteIfExists(socket);
    } catch (IOException e) {
      log.warn("cannot remove the old socket {}: {}", socket, e.toString());
    }
    ServerBootstrap sb =
        new ServerBootstrap()
            .group(acceptors, workers)
            .channel(transport.serverDomainChannel())
            .childHandler(init);
    Channel ch;
    try {
      ch = sb.bind(new DomainSocketAddress(socket.toFile())).sync().channel();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new ChannelException("cannot listen on " + socket + ": " + e.getMessage(), e);
    }
    channels.add(ch);
    try {
      Files.setPosixFilePermissions(socket, permissions(g.unixSocketMode()));
    } catch (IOException | UnsupportedOperationException e) {
      log.warn("cannot set the mode of {}: {}", socket, e.toString());
    }
  }

  private static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE,
      PosixFilePermission.OTHERS_WRITE,
      PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE,
      PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE,
      PosixFilePermission.OWNER_WRITE,
      PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(order[i]);
      }
    }
    return set;
  }

  /** The port of the first TCP listener (the one chosen for port 0), or {@code otherwise}. */
  int port(int otherwise) {
    for (Channel ch : channels) {
      if (ch.localAddress() instanceof InetSocketAddress a) {
        return a.getPort();
      }
    }
    return otherwise;
  }

  /** Starts or stops accepting connections (SUSPEND, RESUME). */
  void autoRead(boolean on) {
    synchronized (channels) {
      for (Channel ch : channels) {
        ch.config().setAutoRead(on);
      }
    }
  }

  /** Closes the TCP listeners, and the Unix socket too when {@code unix} (removing its file). */
  void close(boolean unix) {
    List<Channel> closing;
    synchronized (channels) {
      closing = new ArrayList<>();
      for (Channel ch : channels) {
        if (unix || !(ch.localAddress() instanceof DomainSocketAddress)) {
          closing.add(ch);
        }
      }
      channels.removeAll(closing);
    }
    for (Channel ch : closing) {
      ch.close().awaitUninterruptibly();
      if (ch.localAddress() instanceof DomainSocketAddress d) {
        try {
          Files.deleteIfExists(Path.of(d.path()));
        } catch (IOException e) {
          log.warn("cannot remove {}: {}", d.path(), e.toString());
        }
      }
    }
  }
}
