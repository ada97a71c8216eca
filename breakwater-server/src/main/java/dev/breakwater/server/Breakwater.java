package dev.breakwater.server;

import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.backend.Backend;
import dev.breakwater.server.config.AuthFile;
import dev.breakwater.server.config.ConfigException;
import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.ConfigWarning;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.frontend.Frontend;
import dev.breakwater.server.frontend.StartupHandler;
import dev.breakwater.server.maintenance.Janitor;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.Pools;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Breakwater: its listeners, event loops, pools and maintenance. Start one with
 * {@link #start(Path)} from a pgbouncer.ini, or {@link #start(Settings, Map)} from settings
 * already loaded; {@link #close()} stops it.
 */
public final class Breakwater implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

  private final Settings settings;
  private final Transport transport;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  private final DnsAddressResolverGroup resolver;
  private final Backend backend;
  private final Pools pools;
  private final Frontend frontend;
  private final Janitor janitor;
  private final List<Channel> listeners = new ArrayList<>();

  private Breakwater(Settings settings, Map<String, Secret> secrets, int threads) {
    this.settings = settings;
    this.transport = Transport.detect();
    this.acceptors = transport.newGroup(1, "bw-accept");
    this.workers = transport.newGroup(threads, "bw-io");
    Class<? extends DatagramChannel> udp =
        transport.name().equals("epoll") ? EpollDatagramChannel.class : NioDatagramChannel.class;
    this.resolver = new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(udp));
    ScramCache scramCache = new ScramCache();
    Map<String, Secret> current = Map.copyOf(secrets);
    this.backend = new Backend(transport, workers, resolver, current::get, scramCache);
    this.pools = new Pools(backend);
    this.frontend = new Frontend(settings, current, pools, scramCache);
    this.janitor = new Janitor(workers.next(), pools);
  }

  /** Loads a pgbouncer.ini and its auth file, and starts listening. */
  public static Breakwater start(Path iniFile) throws ConfigException, InterruptedException {
    Settings settings = ConfigLoader.load(iniFile);
    for (ConfigWarning w : settings.warnings()) {
      log.warn("{}", w);
    }
    return start(settings, loadSecrets(settings));
  }

  /** The auth file's secrets, classified. */
  public static Map<String, Secret> loadSecrets(Settings settings) throws ConfigException {
    Map<String, Secret> secrets = new HashMap<>();
    Path authFile = settings.general().authFile();
    if (authFile != null) {
      for (Map.Entry<String, String> e : AuthFile.load(authFile).entrySet()) {
        secrets.put(e.getKey(), Secret.parse(e.getValue()));
      }
    }
    return secrets;
  }

  /** Starts listening with settings and secrets already loaded. */
  public static Breakwater start(Settings settings, Map<String, Secret> secrets)
      throws InterruptedException {
    int threads = Integer.getInteger("breakwater.threads", Runtime.getRuntime().availableProcessors());
    Breakwater b = new Breakwater(settings, secrets, threads);
    try {
      b.listen();
    } catch (RuntimeException | InterruptedException e) {
      b.close();
      throw e;
    }
    return b;
  }

  private void listen() throws InterruptedException {
    General g = settings.general();
    ServerBootstrap sb =
        new ServerBootstrap()
            .group(acceptors, workers)
            .channel(transport.serverChannel())
            .option(ChannelOption.SO_BACKLOG, g.listenBacklog() > 0 ? g.listenBacklog() : 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast("startup", new StartupHandler(frontend));
                  }
                });
    for (String addr : g.listenAddr()) {
      String host = addr.equals("*") ? "0.0.0.0" : addr;
      Channel ch = sb.bind(host, g.listenPort()).sync().channel();
      listeners.add(ch);
      log.info("listening on {} ({} transport, {} event loops)", ch.localAddress(), transport.name(),
          Integer.getInteger("breakwater.threads", Runtime.getRuntime().availableProcessors()));
    }
  }

  /** The TCP port of the first listener: the configured one, or the one chosen for port 0. */
  public int port() {
    return ((InetSocketAddress) listeners.get(0).localAddress()).getPort();
  }

  public Settings settings() {
    return frontend.settings();
  }

  public Pools pools() {
    return pools;
  }

  public Frontend frontend() {
    return frontend;
  }

  public Transport transport() {
    return transport;
  }

  /** Stops listening, closes every connection and the event loops. */
  @Override
  public void close() {
    frontend.acceptingClients(false);
    for (Channel ch : listeners) {
      ch.close().awaitUninterruptibly();
    }
    janitor.close();
    for (Pool p : pools.all()) {
      p.closeIdle(CloseReason.SHUTDOWN);
    }
    acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    resolver.close();
    log.info("stopped");
  }
}
