package dev.breakwater.server;

import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.backend.Backend;
import dev.breakwater.server.backend.ServerConnection;
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
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.SettingDefinition;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.PoolSettings;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Breakwater: its listeners, event loops, pools and maintenance. Start one with
 * {@link #start(Path)} from a pgbouncer.ini, or {@link #start(Settings, Map)} from settings
 * already loaded; {@link #close()} stops it.
 */
public final class Breakwater implements AutoCloseable, Control {

  private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

  private volatile Settings settings;
  private volatile Map<io.netty.channel.ChannelOption<?>, Object> tcpOptions;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
  private final Transport transport;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  /** The pooler's event loops ({@code -Dbreakwater.threads}, else one per core); the HTTP listener gets as many. */
  private final int threads;
  private final DnsAddressResolverGroup resolver;
  private final Backend backend;
  private final Pools pools;
  private final Frontend frontend;
  private final Janitor janitor;
  private final List<Channel> listeners = new ArrayList<>();
  private final dev.breakwater.server.stats.Observer observer;
  private final dev.breakwater.server.admin.Console console;
  private volatile dev.breakwater.server.http.HttpEndpoint http;

  private Breakwater(Settings settings, Map<String, Secret> secrets, int threads, dev.breakwater.server.tls.Tls tls) {
    this.settings = settings;
    this.transport = Transport.detect();
    this.acceptors = transport.newGroup(1, "bw-accept");
    this.workers = transport.newGroup(threads, "bw-io");
    this.threads = threads;
    this.resolver =
        new DnsAddressResolverGroup(new DnsNameResolverBuilder().datagramChannelType(transport.datagramChannel()));
    ScramCache scramCache = new ScramCache();
    Map<String, Secret> current = Map.copyOf(secrets);
    this.backend = new Backend(transport, workers, resolver, current::get, scramCache);
    backend.maxPreparedStatements(settings.general().maxPreparedStatements());
    useTcpOptions(settings.general());
    this.pools = new Pools(backend);
    this.frontend = new Frontend(settings, current, pools, scramCache);
    this.janitor = new Janitor(workers.next(), pools, this::freeUnused);
    frontend.tls(tls);
    backend.tls(tls);
    frontend.peerCancels().forwarder(backend::forwardCancel);
    // Operate and observe: metrics, connection logs, stats_period, alerts, the admin console.
    this.observer = new dev.breakwater.server.stats.Observer(frontend, pools, backend.preparedStatements());
    frontend.events(observer.events());
    backend.events(observer.events());
    this.console = new dev.breakwater.server.admin.Console(this, observer);
    frontend.adminConsole(console);
    openMinPools(settings);
  }

  /**
   * Once a second: pools of databases made from the {@code *} entry that have had no client and
   * no server for autodb_idle_timeout are removed, with their meters (the observer forgets them
   * at its next tick), as PgBouncer frees such databases; so are pools opened only to run an
   * auth_query lookup, once it is done. Expired auth_query answers are evicted.
   */
  private void freeUnused() {
    long now = System.nanoTime();
    Settings s = frontend.settings();
    long idle = s.general().autodbIdleTimeout().toNanos();
    for (Pool p :
        pools.removeUnused(
            // Made from the * entry (or left by a reload that removed the database's line).
            p -> !s.databases().containsKey(p.key().database()),
            idle,
            now)) {
      backend.forget(p);
      String db = dev.breakwater.server.LogText.escape(p.key().database());
      String user = dev.breakwater.server.LogText.escape(p.key().user());
      if (p.lookupOnly()) {
        // One per database name a client tried: not worth a line each at info.
        log.debug("pool {}/{} freed: its auth_query lookup is done", db, user);
      } else {
        log.info("pool {}/{} freed: unused for autodb_idle_timeout", db, user);
      }
    }
    frontend.authQuery().evictExpired(now);
  }

  /**
   * As PgBouncer: a database with a forced user= and a min_pool_size has its pool at once, so that
   * min_pool_size servers are open before any client comes. Other pools keep min_pool_size once a
   * client has made them.
   */
  private void openMinPools(Settings s) {
    for (DatabaseEntry db : s.databases().values()) {
      if (!db.forcesUser()) {
        continue;
      }
      PoolSettings cfg = PoolSettings.resolve(s, db, db.user());
      if (cfg.minPoolSize() > 0) {
        pools.get(new dev.breakwater.server.pool.PoolKey(db.name(), db.user()), () -> cfg);
      }
    }
  }

  /** The auth_hba_file rules when auth_type is hba. */
  private static dev.breakwater.server.frontend.Hba hba(Settings settings) throws ConfigException {
    General g = settings.general();
    if (g.authType() != dev.breakwater.server.config.AuthType.HBA) {
      return null;
    }
    if (g.authHbaFile() == null) {
      throw new ConfigException(settings.file(), 0, "auth_hba_file", null, "auth_type = hba needs auth_hba_file");
    }
    return dev.breakwater.server.frontend.Hba.load(g.authHbaFile());
  }

  /** The auth_ident_file maps, when auth_type is hba and the file is set. */
  private static dev.breakwater.server.frontend.IdentMap identMap(Settings settings) throws ConfigException {
    General g = settings.general();
    if (g.authType() != dev.breakwater.server.config.AuthType.HBA || g.authIdentFile() == null) {
      return null;
    }
    return dev.breakwater.server.frontend.IdentMap.load(g.authIdentFile());
  }

  /** TLS contexts from the settings; a file that cannot be read is a configuration error. */
  private static dev.breakwater.server.tls.Tls tls(Settings settings) throws ConfigException {
    try {
      return dev.breakwater.server.tls.Tls.from(settings.general());
    } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
      throw new ConfigException(settings.file(), 0, null, null, "TLS: " + e.getMessage());
    }
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
        Secret secret = Secret.parse(e.getValue());
        secrets.put(e.getKey(), secret);
        dev.breakwater.server.config.AuthType type = settings.general().authType();
        boolean byPassword =
            type != dev.breakwater.server.config.AuthType.TRUST && type != dev.breakwater.server.config.AuthType.ANY;
        if (byPassword && (e.getValue().isEmpty()
            || (secret instanceof Secret.Md5 m
                && m.hash().equals(dev.breakwater.protocol.auth.Md5Password.encrypt("", e.getKey()))))) {
          // A SCRAM secret of "" is found at login only: checking it here costs a PBKDF2 per user.
          log.warn("{}: user \"{}\" has an empty password, which logs no one in (PostgreSQL refuses empty passwords)",
              authFile, LogText.escape(e.getKey()));
        }
      }
    }
    return secrets;
  }

  /** Starts listening with settings and secrets already loaded. */
  public static Breakwater start(Settings settings, Map<String, Secret> secrets)
      throws InterruptedException, ConfigException {
    log.info(
        "{} starting (Java {}, pid {})",
        Version.banner(),
        Runtime.version(),
        ProcessHandle.current().pid());
    int threads = Integer.getInteger("breakwater.threads", Runtime.getRuntime().availableProcessors());
    dev.breakwater.server.frontend.Hba hba = hba(settings);
    dev.breakwater.server.frontend.IdentMap identMap = identMap(settings);
    dev.breakwater.server.tls.Tls tls = tls(settings);
    log.info("TLS implementation: {}", tls.providerName());
    Breakwater b = new Breakwater(settings, secrets, threads, tls);
    b.frontend.hba(hba);
    b.frontend.identMap(identMap);
    try {
      b.listen();
      b.observe();
    } catch (RuntimeException | InterruptedException e) {
      b.close();
      throw e;
    } catch (Exception e) {
      // A bind's failure, rethrown by sync() though checked: one line, and nothing left open.
      b.close();
      throw new ChannelException("cannot listen: " + e.getMessage(), e);
    }
    return b;
  }

  private void listen() throws InterruptedException {
    General g = settings.general();
    ChannelInitializer<Channel> init =
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            dev.breakwater.server.tls.Tls tls = frontend.tls();
            if (tls != null && tls.offersClientTls() && !(ch instanceof io.netty.channel.unix.DomainSocketChannel)) {
              ch.pipeline().addLast("direct-tls", new dev.breakwater.server.tls.DirectTls(tls.clientFacing()));
            }
            if (!(ch instanceof io.netty.channel.unix.DomainSocketChannel)) {
              Transport.apply(ch, tcpOptions);
            }
            ch.pipeline().addLast("startup", new StartupHandler(frontend));
            if (suspended) {
              synchronized (acceptedWhileSuspended) {
                acceptedWhileSuspended.add(ch);
              }
              SuspendGate.close(ch);
            }
          }
        };
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
    java.util.Set<java.net.SocketAddress> logged = new java.util.HashSet<>();
    for (Channel ch : listeners) {
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
          sb.option(io.netty.channel.socket.nio.NioChannelOption.of(java.net.StandardSocketOptions.SO_REUSEPORT), true);
        }
        bound.add(sb.bind(host, port).sync().channel());
      } else {
        if (port != 0 && !g.soReuseport()) {
          try (java.net.ServerSocket probe = new java.net.ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(host, port));
          }
        }
        for (io.netty.util.concurrent.EventExecutor e : workers) {
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
    listeners.addAll(bound);
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
      java.nio.file.Files.deleteIfExists(socket);
    } catch (java.io.IOException e) {
      log.warn("cannot remove the old socket {}: {}", socket, e.toString());
    }
    ServerBootstrap sb =
        new ServerBootstrap()
            .group(acceptors, workers)
            .channel(transport.serverDomainChannel())
            .childHandler(init);
    Channel ch;
    try {
      ch = sb.bind(new io.netty.channel.unix.DomainSocketAddress(socket.toFile())).sync().channel();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new ChannelException("cannot listen on " + socket + ": " + e.getMessage(), e);
    }
    listeners.add(ch);
    try {
      java.nio.file.Files.setPosixFilePermissions(socket, permissions(g.unixSocketMode()));
    } catch (java.io.IOException | UnsupportedOperationException e) {
      log.warn("cannot set the mode of {}: {}", socket, e.toString());
    }
  }

  private static java.util.Set<java.nio.file.attribute.PosixFilePermission> permissions(int mode) {
    java.util.Set<java.nio.file.attribute.PosixFilePermission> set =
        java.util.EnumSet.noneOf(java.nio.file.attribute.PosixFilePermission.class);
    java.nio.file.attribute.PosixFilePermission[] order = {
      java.nio.file.attribute.PosixFilePermission.OTHERS_EXECUTE,
      java.nio.file.attribute.PosixFilePermission.OTHERS_WRITE,
      java.nio.file.attribute.PosixFilePermission.OTHERS_READ,
      java.nio.file.attribute.PosixFilePermission.GROUP_EXECUTE,
      java.nio.file.attribute.PosixFilePermission.GROUP_WRITE,
      java.nio.file.attribute.PosixFilePermission.GROUP_READ,
      java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE,
      java.nio.file.attribute.PosixFilePermission.OWNER_WRITE,
      java.nio.file.attribute.PosixFilePermission.OWNER_READ
    };
    for (int i = 0; i < order.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(order[i]);
      }
    }
    return set;
  }

  /** Starts the observer and, when {@code http_listen_port} is set, the HTTP endpoint. */
  private void observe() throws InterruptedException {
    observer.start();
    General g = settings.general();
    if (g.httpEnabled()) {
      http =
          dev.breakwater.server.http.HttpEndpoint.start(
              transport, g.httpListenAddr(), g.httpListenPort(), threads, console);
    }
  }

  /** Metrics, averages and alerts. */
  public dev.breakwater.server.stats.Observer observer() {
    return observer;
  }

  /** The HTTP endpoint, or null when {@code http_listen_port} is 0. */
  public dev.breakwater.server.http.HttpEndpoint http() {
    return http;
  }

  /** The TCP port of the first listener: the configured one, or the one chosen for port 0. */
  public int port() {
    for (Channel ch : listeners) {
      if (ch.localAddress() instanceof InetSocketAddress a) {
        return a.getPort();
      }
    }
    return settings.general().listenPort();
  }

  public Settings settings() {
    return settings;
  }

  public Pools pools() {
    return pools;
  }

  public Frontend frontend() {
    return frontend;
  }

  public Backend backend() {
    return backend;
  }

  public Transport transport() {
    return transport;
  }

  /** This instance's operator verbs. */
  public Control control() {
    return this;
  }

  /** Completes when Breakwater has stopped. */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  // ---- Control ----

  private Iterable<Pool> poolsOf(String database) {
    List<Pool> out = new ArrayList<>();
    for (Pool p : pools.all()) {
      if (database == null || p.key().database().equals(database)) {
        out.add(p);
      }
    }
    return out;
  }

  /** Completes {@code future} once {@code done} holds, checking every janitor tick. */
  private CompletableFuture<Void> when(BooleanSupplier done) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    io.netty.channel.EventLoop loop = workers.next();
    Runnable[] check = new Runnable[1];
    check[0] =
        () -> {
          if (done.getAsBoolean()) {
            f.complete(null);
          } else if (!workers.isShuttingDown()) {
            loop.schedule(check[0], Janitor.TICK_MILLIS, TimeUnit.MILLISECONDS);
          }
        };
    loop.execute(check[0]);
    return f;
  }

  @Override
  public CompletableFuture<Void> pause(String database) {
    pools.markPaused(database, true);
    for (Pool p : poolsOf(database)) {
      p.pause();
    }
    log.info("PAUSE {}", database == null ? "(all)" : database);
    return when(
        () -> {
          for (Pool p : poolsOf(database)) {
            if (!p.hasNoServers()) {
              return false;
            }
          }
          return true;
        });
  }

  @Override
  public boolean isPaused(String database) {
    return pools.isPaused(database);
  }

  @Override
  public void resume(String database) {
    if (database == null) {
      unsuspend();
    }
    pools.markPaused(database, false);
    for (Pool p : poolsOf(database)) {
      if (!pools.isPaused(p.key().database())) {
        p.resume();
      }
    }
    log.info("RESUME {}", database == null ? "(all)" : database);
  }

  @Override
  public void reconnect(String database) {
    for (Pool p : poolsOf(database)) {
      p.reconnect();
    }
    log.info("RECONNECT {}", database == null ? "(all)" : database);
  }

  @Override
  public CompletableFuture<Void> kill(String database) {
    ErrorFields reason =
        ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "connection killed by the admin console (KILL)");
    // As PgBouncer: a killed database stays paused, its new clients wait for RESUME.
    pools.markPaused(database, true);
    List<CompletableFuture<Void>> closed = new ArrayList<>();
    for (Pool p : poolsOf(database)) {
      p.pause();
      closed.add(p.kill(reason, CloseReason.KILLED));
    }
    log.info("KILL {}", database == null ? "(all)" : database);
    return CompletableFuture.allOf(closed.toArray(CompletableFuture[]::new));
  }

  @Override
  public java.util.Optional<CompletableFuture<Void>> killClient(long clientId) {
    for (Pool p : pools.all()) {
      for (ClientConnection c : p.clients(ClientConnection.class)) {
        if (c.id() == clientId) {
          return java.util.Optional.of(
              c.closeWithError(
                  ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "connection killed by the admin console (KILL_CLIENT)"),
                  CloseReason.KILLED));
        }
      }
    }
    return java.util.Optional.empty();
  }

  @Override
  public void disable(String database) {
    frontend.disable(database, true);
    log.info("DISABLE {}", database);
  }

  @Override
  public void enable(String database) {
    frontend.disable(database, false);
    log.info("ENABLE {}", database);
  }

  @Override
  public CompletableFuture<Void> waitClose(String database) {
    return when(
        () -> {
          for (Pool p : poolsOf(database)) {
            if (!p.hasNoOldServers()) {
              return false;
            }
          }
          return true;
        });
  }

  @Override
  public synchronized void reload() throws ConfigException {
    Path file = settings.file();
    if (file == null) {
      throw new ConfigException(null, 0, null, null, "no configuration file to reload");
    }
    Settings next;
    Map<String, Secret> secrets;
    try {
      next = ConfigLoader.load(file);
      secrets = loadSecrets(next);
    } catch (ConfigException e) {
      log.error("RELOAD rejected, keeping the running configuration: {}", e.getMessage());
      throw e;
    }
    for (ConfigWarning w : next.warnings()) {
      log.warn("{}", w);
    }
    for (SettingDefinition d : ConfigLoader.definitions()) {
      if (!d.reloadable() && !Objects.equals(d.valueText(settings.general()), d.valueText(next.general()))) {
        log.warn("RELOAD: {} changed, which takes effect only after a restart", d.name());
      }
    }
    dev.breakwater.server.tls.Tls tls = tls(next);
    dev.breakwater.server.frontend.Hba hba = hba(next);
    dev.breakwater.server.frontend.IdentMap identMap = identMap(next);
    apply(next, secrets);
    frontend.hba(hba);
    frontend.identMap(identMap);
    useTls(tls);
    Logging.verbosity(next.general().verbose());
    log.info("configuration reloaded from {}", file);
  }

  @Override
  public synchronized java.util.Optional<String> set(String key, String value) throws ConfigException {
    Settings s = settings;
    General g = s.general().withSetting(key, value);
    Settings next =
        new Settings(g, s.databases(), s.fallbackDatabase(), s.users(), s.warnings(), s.file(), s.peers());
    apply(next, null);
    log.info("SET {} = {}", key, value);
    String name = key.trim().toLowerCase(java.util.Locale.ROOT);
    if (name.equals("verbose")) {
      Logging.verbosity(g.verbose());
    }
    if (name.contains("_tls_") || name.contains("_tls13_") || name.equals("tls_provider")) {
      // PgBouncer's rule: the setting is taken; the TLS contexts follow when the settings as a
      // whole make a valid TLS configuration (a key set before its certificate does not yet).
      try {
        useTls(dev.breakwater.server.tls.Tls.from(g));
      } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
        log.warn("SET {}: TLS settings could not be applied, still using old configuration: {}", name, e.getMessage());
        return java.util.Optional.of("TLS settings could not be applied, still using old configuration");
      }
    }
    return java.util.Optional.empty();
  }

  /**
   * Puts new TLS contexts in place for new connections. When the settings toward PostgreSQL
   * changed, every pool replaces its servers as they are released, as PgBouncer does.
   */
  private void useTls(dev.breakwater.server.tls.Tls next) {
    dev.breakwater.server.tls.Tls before = backend.tls();
    frontend.tls(next);
    backend.tls(next);
    if (before != null && (before.asksServerTls() || next.asksServerTls())
        && !before.serverSide().equals(next.serverSide())) {
      log.info("server TLS settings changed: servers are replaced as they are released");
      for (Pool p : pools.all()) {
        p.reconnect();
      }
    }
  }

  /** tcp_keepalive and the like, for the sockets of new clients and new servers. */
  private void useTcpOptions(General g) {
    tcpOptions = Map.copyOf(transport.tcpOptions(g));
    backend.tcpOptions(tcpOptions);
  }

  /** Swaps in new settings: new logins see them, pools take them from their next assignment. */
  private void apply(Settings next, Map<String, Secret> secrets) {
    this.settings = next;
    Map<String, Secret> current = secrets != null ? Map.copyOf(secrets) : null;
    if (current != null) {
      backend.secrets(current::get);
      frontend.update(next, current);
    } else {
      frontend.update(next, null);
    }
    backend.maxPreparedStatements(next.general().maxPreparedStatements());
    useTcpOptions(next.general());
    for (Pool p : pools.all()) {
      Optional<DatabaseEntry> db = next.database(p.key().database());
      if (db.isEmpty()) {
        continue;
      }
      PoolSettings before = p.settings();
      PoolSettings after = PoolSettings.resolve(next, db.get(), p.key().user());
      p.updateSettings(after);
      boolean moved =
          !before.serverHost().equals(after.serverHost())
              || before.serverPort() != after.serverPort()
              || !before.serverDatabase().equals(after.serverDatabase())
              || !Objects.equals(before.serverPassword(), after.serverPassword());
      if (moved) {
        log.info("pool {}: the database moved; servers are replaced as they are released", p.key());
        p.reconnect();
      }
    }
    openMinPools(next);
  }

  /** The mode of a SHUTDOWN under way that waits, or null. */
  private volatile ShutdownMode shuttingDown;

  @Override
  public boolean isShuttingDown() {
    return shuttingDown != null;
  }

  /**
   * SHUTDOWN WAIT_FOR_SERVERS or WAIT_FOR_CLIENTS, as PgBouncer: the TCP listeners close at once;
   * the Unix socket stays open until the process stops, but lets only admin console logins in
   * (others: "pooler is shutting down"). Clients already connected carry on: with WAIT_FOR_CLIENTS
   * until each leaves; with WAIT_FOR_SERVERS until each releases its server (a client that then
   * asks for another, or waits for one, is closed with "server shutting down").
   */
  @Override
  public synchronized CompletableFuture<Void> shutdown(ShutdownMode mode) {
    log.info("SHUTDOWN {}", mode);
    if (mode == ShutdownMode.IMMEDIATE) {
      close();
      return stopped;
    }
    if (suspended) {
      // As PgBouncer: a suspended pooler cannot drain (nothing is read), so it stops now.
      log.info("SHUTDOWN while suspended: stopping at once");
      close();
      return stopped;
    }
    shuttingDown = mode;
    frontend.startDraining();
    stopListening(false);
    CompletableFuture<Void> drained;
    if (mode == ShutdownMode.WAIT_FOR_SERVERS) {
      ErrorFields error = ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "server shutting down");
      pools.markPaused(null, true);
      for (Pool p : pools.all()) {
        p.shutDown(error);
      }
      drained =
          when(
              () -> {
                for (Pool p : pools.all()) {
                  if (!p.hasNoServers()) {
                    return false;
                  }
                }
                return true;
              });
    } else {
      drained = when(() -> frontend.clientCount() == 0);
    }
    // Not on an event loop: close() waits for the loops to end.
    drained.thenRunAsync(this::close, r -> new Thread(r, "breakwater-stop").start());
    return stopped;
  }

  /** Closes the listeners: the TCP ones, and the Unix socket too when {@code unix}. */
  private void stopListening(boolean unix) {
    frontend.acceptingClients(false);
    List<Channel> closing;
    synchronized (listeners) {
      closing = new ArrayList<>();
      for (Channel ch : listeners) {
        if (unix || !(ch.localAddress() instanceof io.netty.channel.unix.DomainSocketAddress)) {
          closing.add(ch);
        }
      }
      listeners.removeAll(closing);
    }
    for (Channel ch : closing) {
      ch.close().awaitUninterruptibly();
      if (ch.localAddress() instanceof io.netty.channel.unix.DomainSocketAddress d) {
        try {
          java.nio.file.Files.deleteIfExists(Path.of(d.path()));
        } catch (java.io.IOException e) {
          log.warn("cannot remove {}: {}", d.path(), e.toString());
        }
      }
    }
  }

  // ---- SUSPEND ----

  private volatile boolean suspended;
  /** Connections a listener accepted as SUSPEND began (a last accept may still run): held too. */
  private final List<Channel> acceptedWhileSuspended = new ArrayList<>();

  @Override
  public boolean isSuspended() {
    return suspended;
  }

  /**
   * SUSPEND: no new connection is accepted and nothing more is read from clients or servers; the
   * future completes once what was already on its way to them has been written. The admin
   * console's clients are not suspended (one of them will say RESUME). What a read under way as
   * SUSPEND began brings in is held, unread, until RESUME (see {@link SuspendGate}). Server
   * connections that open while suspended (for a client that was already waiting) are not held.
   */
  @Override
  public synchronized CompletableFuture<Void> suspend() {
    if (suspended || pools.isPaused(null)) {
      return CompletableFuture.failedFuture(new IllegalStateException("already suspended/paused"));
    }
    suspended = true;
    log.info("SUSPEND");
    List<Channel> held = suspendedChannels();
    synchronized (listeners) {
      for (Channel ch : listeners) {
        ch.config().setAutoRead(false);
      }
    }
    for (Channel ch : held) {
      SuspendGate.close(ch);
    }
    return when(
        () -> {
          for (Channel ch : held) {
            io.netty.channel.ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
            if (ch.isActive() && out != null && out.totalPendingWriteBytes() > 0) {
              return false;
            }
          }
          return true;
        });
  }

  /** Every client connection in a pool and every server connection. */
  private List<Channel> suspendedChannels() {
    List<Channel> out = new ArrayList<>();
    for (Pool p : pools.all()) {
      for (ClientConnection c : p.clients(ClientConnection.class)) {
        out.add(c.channel());
      }
      for (ServerConnection s : p.servers(ServerConnection.class)) {
        if (s.channel() != null) {
          out.add(s.channel());
        }
      }
    }
    return out;
  }

  /** RESUME after SUSPEND: reading and accepting start again. */
  private synchronized void unsuspend() {
    if (!suspended) {
      return;
    }
    suspended = false;
    List<Channel> held = suspendedChannels();
    synchronized (acceptedWhileSuspended) {
      held.addAll(acceptedWhileSuspended);
      acceptedWhileSuspended.clear();
    }
    for (Channel ch : held) {
      SuspendGate.open(ch);
    }
    synchronized (listeners) {
      for (Channel ch : listeners) {
        ch.config().setAutoRead(true);
      }
    }
    log.info("RESUME after SUSPEND");
  }

  /** Stops listening, closes every connection and the event loops. */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    stopListening(true);
    if (http != null) {
      http.close();
    }
    janitor.close();
    ErrorFields reason =
        ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "terminating connection: pooler is shutting down");
    for (Pool p : pools.all()) {
      p.kill(reason, CloseReason.SHUTDOWN);
    }
    for (dev.breakwater.server.backend.Listener l : backend.listeners()) {
      l.close();
    }
    acceptors.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    workers.shutdownGracefully(100, 2000, TimeUnit.MILLISECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    resolver.close();
    observer.close();
    log.info("stopped");
    stopped.complete(null);
  }
}
