package dev.breakwater.server;

import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.backend.Backend;
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
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.resolver.dns.DnsAddressResolverGroup;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.frontend.ClientConnection;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running Breakwater: its listeners, event loops, pools and maintenance. Start one with
 * {@link #start(Path)} from a pgbouncer.ini, or {@link #start(Settings, Map)} from settings
 * already loaded; {@link #close()} stops it.
 *
 * <p>Its parts: {@link Listeners} (the sockets clients connect to), {@link RunningConfig} (the
 * configuration in force, RELOAD and SET), {@link Suspension} (SUSPEND); the other verbs of
 * {@link Control} and the SHUTDOWN sequence are here.
 */
public final class Breakwater implements AutoCloseable, Control {

  private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
  private final Transport transport;
  private final EventLoopGroup acceptors;
  private final EventLoopGroup workers;
  /** The pooler's event loops ({@link #threads}); the HTTP listener gets as many. */
  private final int threads;
  private final DnsAddressResolverGroup resolver;
  private final Backend backend;
  private final Pools pools;
  private final Frontend frontend;
  private final Janitor janitor;
  private final Listeners listeners;
  private final RunningConfig config;
  private final Suspension suspension;
  private final dev.breakwater.server.stats.Observer observer;
  private final dev.breakwater.server.admin.Console console;
  private volatile dev.breakwater.server.http.HttpEndpoint http;

  private Breakwater(Settings settings, Map<String, Secret> secrets, int threads, dev.breakwater.server.tls.Tls tls) {
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
    this.pools = new Pools(backend);
    this.frontend = new Frontend(settings, current, pools, scramCache);
    this.config = new RunningConfig(settings, transport, backend, frontend, pools);
    this.listeners = new Listeners(transport, acceptors, workers);
    this.suspension = new Suspension(pools, listeners, this::when);
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
    config.openMinPools(settings);
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
    return RunningConfig.loadSecrets(settings);
  }

  /**
   * The number of event loops: {@code -Dbreakwater.threads} where given (tests use it), else
   * {@code worker_threads}, else one per core the JVM sees.
   */
  static int threads(General general) {
    Integer forced = Integer.getInteger("breakwater.threads");
    if (forced != null && forced > 0) {
      return forced;
    }
    return general.workerThreads() > 0
        ? general.workerThreads()
        : Runtime.getRuntime().availableProcessors();
  }

  /** Starts listening with settings and secrets already loaded. */
  public static Breakwater start(Settings settings, Map<String, Secret> secrets)
      throws InterruptedException, ConfigException {
    log.info(
        "{} starting (Java {}, pid {})",
        Version.banner(),
        Runtime.version(),
        ProcessHandle.current().pid());
    int threads = threads(settings.general());
    dev.breakwater.server.frontend.Hba hba = RunningConfig.hba(settings);
    dev.breakwater.server.frontend.IdentMap identMap = RunningConfig.identMap(settings);
    dev.breakwater.server.tls.Tls tls = RunningConfig.tls(settings);
    log.info("TLS implementation: {}; {} event loops", tls.providerName(), threads);
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

  /** Binds the listeners; each connection they accept starts with a StartupHandler. */
  private void listen() throws InterruptedException {
    ChannelInitializer<Channel> init =
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            dev.breakwater.server.tls.Tls tls = frontend.tls();
            if (tls != null && tls.offersClientTls() && !(ch instanceof io.netty.channel.unix.DomainSocketChannel)) {
              ch.pipeline().addLast("direct-tls", new dev.breakwater.server.tls.DirectTls(tls.clientFacing()));
            }
            if (!(ch instanceof io.netty.channel.unix.DomainSocketChannel)) {
              Transport.apply(ch, config.tcpOptions());
            }
            ch.pipeline().addLast("startup", new StartupHandler(frontend));
            suspension.admit(ch);
          }
        };
    listeners.bind(config.settings().general(), init);
  }

  /** Starts the observer and, when {@code http_listen_port} is set, the HTTP endpoint. */
  private void observe() throws InterruptedException {
    observer.start();
    General g = config.settings().general();
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
    return listeners.port(config.settings().general().listenPort());
  }

  public Settings settings() {
    return config.settings();
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
    EventLoop loop = workers.next();
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
  public Optional<CompletableFuture<Void>> killClient(long clientId) {
    for (Pool p : pools.all()) {
      for (ClientConnection c : p.clients(ClientConnection.class)) {
        if (c.id() == clientId) {
          return Optional.of(
              c.closeWithError(
                  ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "connection killed by the admin console (KILL_CLIENT)"),
                  CloseReason.KILLED));
        }
      }
    }
    return Optional.empty();
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
    config.reload();
  }

  @Override
  public synchronized Optional<String> set(String key, String value) throws ConfigException {
    return config.set(key, value);
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
    if (suspension.isSuspended()) {
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
    listeners.close(unix);
  }

  // ---- SUSPEND ----

  @Override
  public boolean isSuspended() {
    return suspension.isSuspended();
  }

  /** SUSPEND (see {@link Suspension#suspend}). */
  @Override
  public synchronized CompletableFuture<Void> suspend() {
    return suspension.suspend();
  }

  /** RESUME after SUSPEND: reading and accepting start again. */
  private synchronized void unsuspend() {
    suspension.resume();
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
