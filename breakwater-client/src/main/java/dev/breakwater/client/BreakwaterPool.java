package dev.breakwater.client;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.pool.HikariPool;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.sql.DataSource;
import org.postgresql.PGProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A connection pool for a serverless function: HikariCP over pgjdbc, sized and timed for the
 * environment it runs in.
 *
 * <pre>{@code
 * static final BreakwaterPool POOL = BreakwaterPool.fromEnvironment();
 *
 * try (Connection c = POOL.getConnection()) { ... }
 * }</pre>
 *
 * <p>What it adds to HikariCP:
 *
 * <ul>
 *   <li>settings from {@code DATABASE_URL} and the {@link Profile} in {@code APP_ENV};
 *   <li>{@code statement_timeout} sent as a startup option, never as a {@code SET};
 *   <li>{@link #getConnection()} fails fast with an {@link AcquireTimeoutException} that names the
 *       pool and its counts; transient connect failures are retried with jittered backoff within
 *       that time, others are thrown at once;
 *   <li>{@link #health()}, Micrometer gauges ({@link #bindTo}), in-process alerts, endpoint advice;
 *   <li>only daemon threads, an idempotent {@link #close()} run by a shutdown hook.
 * </ul>
 */
public final class BreakwaterPool implements DataSource, AutoCloseable {

  /** Environment variables read by {@link #fromEnvironment()}. */
  public static final String DATABASE_URL = "DATABASE_URL";

  public static final String NEON_DATABASE_URL = "NEON_DATABASE_URL";
  public static final String APP_ENV = "APP_ENV";
  public static final String NODE_ENV = "NODE_ENV";
  public static final String DATABASE_POOL_MIN_SIZE = "DATABASE_POOL_MIN_SIZE";
  public static final String DATABASE_POOL_MAX_SIZE = "DATABASE_POOL_MAX_SIZE";
  public static final String DATABASE_STATEMENT_TIMEOUT = "DATABASE_STATEMENT_TIMEOUT";

  /** The seed documents' per-connection statement timeout. */
  public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Connections are replaced after 5 minutes: well under PgBouncer's server_idle_timeout (600 s)
   * and server_lifetime (3600 s), and under the 350 s idle cut of common cloud load balancers.
   */
  public static final Duration DEFAULT_MAX_LIFETIME = Duration.ofMinutes(5);

  /** A connection held longer than this is reported with the stack trace of who took it. */
  public static final Duration DEFAULT_LEAK_DETECTION_THRESHOLD = Duration.ofSeconds(60);

  public static final String DEFAULT_NAME = "breakwater";

  private static final Logger log = LoggerFactory.getLogger(BreakwaterPool.class);

  private final PoolSettings settings;
  private final Connector connector;
  private final Waiters waiters;
  private final HikariDataSource hikari;
  private final HikariPool hikariPool;
  private final AlertMonitor alerts;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Made when metrics are asked for: Micrometer is an optional dependency. */
  private PoolMeters meters;
  private boolean hikariMetricsBound;
  private volatile Thread shutdownHook;
  /** Kept here: CRaC's context holds its resources weakly. Null when the hook is off. */
  private final CheckpointHook checkpointHook;

  private BreakwaterPool(Builder b, PoolSettings settings) {
    this.settings = settings;
    this.waiters = new Waiters();
    this.connector =
        new Connector(
            settings.url().jdbcUrl(),
            connectionProperties(b, settings),
            settings.connectionTimeout().toMillis(),
            new Backoff(25, 1000),
            waiters::wakeAll);

    HikariConfig hc = new HikariConfig();
    hc.setPoolName(settings.name());
    hc.setDataSource(connector);
    hc.setMaximumPoolSize(settings.maxSize());
    hc.setMinimumIdle(settings.minSize());
    hc.setIdleTimeout(settings.idleTimeout().toMillis());
    hc.setConnectionTimeout(settings.connectionTimeout().toMillis());
    hc.setValidationTimeout(Math.max(250, Math.min(1000, settings.connectionTimeout().toMillis())));
    hc.setMaxLifetime(settings.maxLifetime().toMillis());
    // No keepalive pings: an idle pool closes its connections after idleTimeout instead, so a
    // database that scales to zero (Neon) can suspend.
    hc.setKeepaliveTime(0);
    hc.setLeakDetectionThreshold(settings.leakDetectionThreshold().toMillis());
    // Connect on first use, not here: a cold start must not fail because the database is waking.
    hc.setInitializationFailTimeout(-1);
    hc.setThreadFactory(new DaemonThreadFactory("breakwater-" + settings.name()));
    // Suspension lets a checkpoint hold callers back while it closes every connection.
    hc.setAllowPoolSuspension(b.checkpointHook);
    if (b.meterRegistry != null) {
      PoolMeters.trackHikari(hc, b.meterRegistry);
      hikariMetricsBound = true;
    }
    if (b.hikari != null) {
      b.hikari.accept(hc);
    }
    this.hikari = new HikariDataSource(hc);
    this.hikariPool = (HikariPool) hikari.getHikariPoolMXBean();

    if (b.meterRegistry != null) {
      bindTo(b.meterRegistry);
    }
    if (b.alerts) {
      List<AlertListener> listeners = new ArrayList<>();
      listeners.add(AlertMonitor.LOG);
      listeners.addAll(b.alertListeners);
      this.alerts = new AlertMonitor(settings.name(), b.alertSettings, this::stats, connector, listeners);
      alerts.start();
    } else {
      this.alerts = null;
    }
    this.checkpointHook = b.checkpointHook ? registerCheckpointHook() : null;
    if (b.shutdownHook) {
      Thread hook = new Thread(this::closeFromHook, "breakwater-" + settings.name() + "-shutdown");
      Runtime.getRuntime().addShutdownHook(hook);
      this.shutdownHook = hook;
    }
    log.info("{}", settings);
    if (!settings.url().ignoredParameters().isEmpty()) {
      log.debug(
          "pool '{}': URL parameters pgjdbc does not know, ignored: {}",
          settings.name(),
          settings.url().ignoredParameters());
    }
    if (b.endpointAdvice) {
      for (String advice : EndpointAdvice.check(settings.profile(), settings.url())) {
        log.warn("pool '{}': {}", settings.name(), advice);
      }
    }
  }

  private CheckpointHook registerCheckpointHook() {
    try {
      return CheckpointHook.register(this);
    } catch (NoClassDefFoundError e) {
      log.debug("pool '{}': org.crac is not on the classpath: no checkpoint hook", settings.name());
      return null;
    }
  }

  /**
   * Before a CRaC checkpoint or a SnapStart snapshot: holds callers back and closes every
   * connection, waiting up to the connection timeout for lent ones to come back.
   */
  void beforeCheckpoint() throws InterruptedException {
    hikariPool.suspendPool();
    hikariPool.softEvictConnections();
    long deadline = System.nanoTime() + settings.connectionTimeout().toNanos();
    while (hikariPool.getTotalConnections() > 0 && System.nanoTime() < deadline) {
      Thread.sleep(10);
      hikariPool.softEvictConnections();
    }
    log.info("pool '{}': checkpoint: {} connection(s) left open", settings.name(), hikariPool.getTotalConnections());
  }

  /** After a restore: callers may take connections again, opened as they are asked for. */
  void afterRestore() {
    hikariPool.resumePool();
    log.info("pool '{}': restored: connections open as they are asked for", settings.name());
  }

  /** A pool configured from the process environment. */
  public static BreakwaterPool fromEnvironment() {
    return builder().build();
  }

  /** A pool configured from the given environment lookup, e.g. {@code Map.of(...)::get}. */
  public static BreakwaterPool fromEnvironment(Function<String, String> environment) {
    return builder().environment(environment).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ connections

  /**
   * Lends a connection; close it to give it back. Waits at most the profile's connection timeout,
   * then throws {@link AcquireTimeoutException}. A connect failure that retrying cannot fix (wrong
   * password, no such database) is thrown at once as a {@link SQLNonTransientConnectionException}
   * with the server's SQLSTATE.
   */
  @Override
  public Connection getConnection() throws SQLException {
    if (closed.get()) {
      throw new SQLNonTransientConnectionException("pool '" + name() + "' is closed", "08003");
    }
    long start = System.nanoTime();
    Waiters.Ticket ticket = waiters.enter();
    Connection connection = null;
    SQLException failure = null;
    try {
      connection = hikariPool.getConnection(settings.connectionTimeout().toMillis());
    } catch (SQLException e) {
      failure = e;
    } finally {
      SQLException fatal = waiters.leave(ticket);
      if (connection == null && fatal != null) {
        failure = cannotConnect(fatal);
      }
    }
    if (connection != null) {
      return connection;
    }
    if (failure instanceof SQLTransientConnectionException
        && !(failure instanceof AcquireTimeoutException)) {
      Throwable cause = failure.getCause();
      SQLException last = cause instanceof SQLException ? (SQLException) cause : null;
      if (last != null && !SqlStates.isTransient(last)) {
        throw cannotConnect(last);
      }
      Duration waited = Duration.ofMillis((System.nanoTime() - start) / 1_000_000);
      throw new AcquireTimeoutException(name(), stats(), waited, last);
    }
    throw failure;
  }

  private SQLNonTransientConnectionException cannotConnect(SQLException cause) {
    return new SQLNonTransientConnectionException(
        "pool '" + name() + "': cannot connect: " + cause.getMessage(), cause.getSQLState(), cause);
  }

  /** Not supported: credentials come from the database URL or the builder. */
  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("credentials come from the database URL or the builder");
  }

  /**
   * Opens one connection now and returns it to the pool, so the first request does not pay for the
   * connection; for a function's init phase. Fails as {@link #getConnection()} does.
   */
  public void warmUp() throws SQLException {
    getConnection().close();
  }

  // ------------------------------------------------------------------ health and metrics

  /** The pool's counts now. */
  public PoolStats stats() {
    HikariPool p = hikariPool;
    return new PoolStats(
        p.getTotalConnections(),
        p.getActiveConnections(),
        p.getIdleConnections(),
        p.getThreadsAwaitingConnection(),
        settings.maxSize());
  }

  /**
   * Borrows a connection, runs {@code SELECT 1}, gives it back, and reports the pool's counts; or
   * reports the error. Never throws.
   */
  public Health health() {
    try (Connection c = getConnection();
        Statement s = c.createStatement()) {
      s.execute("SELECT 1");
    } catch (SQLException e) {
      String state = e.getSQLState();
      String message = String.valueOf(e.getMessage());
      return Health.unhealthy(
          state == null || message.contains("SQLSTATE") ? message : message + " [SQLSTATE " + state + "]");
    } catch (RuntimeException e) {
      return Health.unhealthy(e.toString());
    }
    return Health.healthy(stats());
  }

  /**
   * Registers the gauges {@code db.pool.total}, {@code db.pool.idle}, {@code db.pool.waiting} and
   * {@code db.pool.max}, tagged {@code pool=<name>}, and HikariCP's own {@code hikaricp.*} metrics
   * (these in one registry only: the first bound). The same as Micrometer's {@code MeterBinder}
   * (which the pool no longer implements, so that it loads without Micrometer: use {@code
   * pool::bindTo} where a binder is wanted).
   */
  public synchronized void bindTo(MeterRegistry registry) {
    if (meters == null) {
      meters = new PoolMeters(this);
    }
    meters.bindTo(registry);
    if (!hikariMetricsBound) {
      PoolMeters.trackHikari(hikari, registry);
      hikariMetricsBound = true;
    }
  }

  // ------------------------------------------------------------------ lifecycle

  public String name() {
    return settings.name();
  }

  public PoolSettings settings() {
    return settings;
  }

  /** Failed connection attempts so far (each retry counts). */
  public long connectFailures() {
    return connector.failures();
  }

  /** Connection attempts so far, successful or not. */
  public long connectAttempts() {
    return connector.attempts();
  }

  /**
   * Closes the pool: stops the alert thread, closes idle connections, and aborts connections still
   * lent out after HikariCP's grace period. Safe to call more than once and from any thread.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    removeShutdownHook();
    shutdown();
  }

  private void closeFromHook() {
    if (closed.compareAndSet(false, true)) {
      shutdown();
    }
  }

  private void shutdown() {
    if (alerts != null) {
      alerts.close();
    }
    connector.close();
    hikari.close();
    synchronized (this) {
      if (meters != null) {
        meters.close();
      }
    }
    log.info("pool '{}' closed", name());
  }

  public boolean isClosed() {
    return closed.get();
  }

  /**
   * Removes the shutdown hook that would close this pool when the JVM exits, for applications that
   * close it themselves in a particular order. Returns whether a hook was removed.
   */
  public boolean removeShutdownHook() {
    Thread hook = shutdownHook;
    shutdownHook = null;
    if (hook == null) {
      return false;
    }
    try {
      return Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      return false;
    }
  }

  // ------------------------------------------------------------------ DataSource

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return hikari.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    hikari.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    hikari.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return hikari.getLoginTimeout();
  }

  @Override
  public java.util.logging.Logger getParentLogger() {
    return java.util.logging.Logger.getLogger("dev.breakwater.client");
  }

  /** Unwraps to this pool or to the underlying {@link HikariDataSource}. */
  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    if (iface.isInstance(hikari)) {
      return iface.cast(hikari);
    }
    throw new SQLException("not a wrapper for " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this) || iface.isInstance(hikari);
  }

  @Override
  public String toString() {
    return "BreakwaterPool[" + name() + ": " + stats() + "]";
  }

  // ------------------------------------------------------------------ settings

  private static Properties connectionProperties(Builder b, PoolSettings s) {
    Properties p = s.url().properties();
    p.putAll(b.properties);
    if (b.user != null) {
      PGProperty.USER.set(p, b.user);
    }
    if (b.password != null) {
      PGProperty.PASSWORD.set(p, b.password);
    }
    if (!PGProperty.APPLICATION_NAME.isPresent(p)) {
      PGProperty.APPLICATION_NAME.set(p, s.name());
    }
    if (!PGProperty.CONNECT_TIMEOUT.isPresent(p)) {
      long seconds = Math.max(1, (s.connectionTimeout().toMillis() + 999) / 1000);
      PGProperty.CONNECT_TIMEOUT.set(p, (int) seconds);
    }
    if (s.statementTimeout() != null && !s.statementTimeout().isZero()) {
      String options = StartupOptions.withStatementTimeout(
          PGProperty.OPTIONS.getOrDefault(p), s.statementTimeout().toMillis());
      PGProperty.OPTIONS.set(p, options);
    }
    return p;
  }

  /**
   * Builds a pool. Each setting comes from the builder if set there, else from the environment,
   * else from the profile.
   */
  public static final class Builder {
    private Function<String, String> env = System::getenv;
    private String url;
    private Profile profile;
    private String name;
    private Integer minSize;
    private Integer maxSize;
    private Duration idleTimeout;
    private Duration connectionTimeout;
    private Duration maxLifetime;
    private Duration statementTimeout;
    private Duration leakDetectionThreshold;
    private String user;
    private String password;
    private final Properties properties = new Properties();
    private MeterRegistry meterRegistry;
    private boolean alerts = true;
    private AlertSettings alertSettings = AlertSettings.defaults();
    private final List<AlertListener> alertListeners = new ArrayList<>();
    private boolean shutdownHook = true;
    private boolean checkpointHook = true;
    private boolean endpointAdvice = true;
    private Consumer<HikariConfig> hikari;

    private Builder() {}

    /** Where environment variables are read; {@code System::getenv} by default. */
    public Builder environment(Function<String, String> environment) {
      this.env = Objects.requireNonNull(environment, "environment");
      return this;
    }

    public Builder environment(Map<String, String> environment) {
      Map<String, String> copy = new LinkedHashMap<>(environment);
      return environment(copy::get);
    }

    /** The database URL, instead of {@code DATABASE_URL}: any form {@link DatabaseUrl} reads. */
    public Builder url(String url) {
      this.url = url;
      return this;
    }

    public Builder profile(Profile profile) {
      this.profile = profile;
      return this;
    }

    /** The pool's name in logs, metrics and errors, and the default application_name. */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    public Builder minSize(int minSize) {
      this.minSize = minSize;
      return this;
    }

    public Builder maxSize(int maxSize) {
      this.maxSize = maxSize;
      return this;
    }

    /** 0 keeps idle connections; otherwise at least 10 s (HikariCP's floor). */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
      return this;
    }

    /** At least 250 ms (HikariCP's floor). */
    public Builder connectionTimeout(Duration connectionTimeout) {
      this.connectionTimeout = connectionTimeout;
      return this;
    }

    /** At least 30 s (HikariCP's floor). */
    public Builder maxLifetime(Duration maxLifetime) {
      this.maxLifetime = maxLifetime;
      return this;
    }

    /** Sent as {@code options=-c statement_timeout=<ms>}; {@link Duration#ZERO} sends none. */
    public Builder statementTimeout(Duration statementTimeout) {
      this.statementTimeout = statementTimeout;
      return this;
    }

    /** 0 turns leak reports off; otherwise at least 2 s (HikariCP's floor). */
    public Builder leakDetectionThreshold(Duration threshold) {
      this.leakDetectionThreshold = threshold;
      return this;
    }

    /** Overrides the URL's user, e.g. with a secret fetched at startup. */
    public Builder user(String user) {
      this.user = user;
      return this;
    }

    /** Overrides the URL's password. */
    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /** A pgjdbc connection property, e.g. {@code ("prepareThreshold", "0")}. */
    public Builder property(String name, String value) {
      properties.setProperty(name, value);
      return this;
    }

    /** Binds the pool's gauges and HikariCP's metrics to this registry when built. */
    public Builder meterRegistry(MeterRegistry registry) {
      this.meterRegistry = registry;
      return this;
    }

    public Builder alertSettings(AlertSettings settings) {
      this.alertSettings = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** Adds a listener; the default WARN log line stays. */
    public Builder alertListener(AlertListener listener) {
      alertListeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /** Turns the in-process alerts (and their thread) off. */
    public Builder alerts(boolean enabled) {
      this.alerts = enabled;
      return this;
    }

    /** Whether a JVM shutdown hook closes the pool (default true). */
    public Builder shutdownHook(boolean enabled) {
      this.shutdownHook = enabled;
      return this;
    }

    /** Whether to warn about direct endpoints in serverless profiles (default true). */
    /**
     * Whether the pool closes its connections before a CRaC checkpoint or an AWS Lambda SnapStart
     * snapshot and opens new ones after the restore (on by default; a no-op on other JVMs).
     */
    public Builder checkpointHook(boolean enabled) {
      this.checkpointHook = enabled;
      return this;
    }

    public Builder endpointAdvice(boolean enabled) {
      this.endpointAdvice = enabled;
      return this;
    }

    /** Last word on HikariCP's configuration, applied after everything else. */
    public Builder hikari(Consumer<HikariConfig> customizer) {
      this.hikari = customizer;
      return this;
    }

    /** Resolves the settings without opening anything. */
    public PoolSettings settings() {
      String rawUrl = url != null ? url : firstSet(DATABASE_URL, NEON_DATABASE_URL);
      if (rawUrl == null) {
        throw new IllegalStateException(
            DATABASE_URL + " is not set (nor " + NEON_DATABASE_URL + "), and no URL was given to the builder");
      }
      DatabaseUrl dbUrl = DatabaseUrl.parse(rawUrl);

      Profile p = profile;
      String profileSource = "builder";
      if (p == null) {
        profileSource = "default";
        p = Profile.DEVELOPMENT;
        for (String var : List.of(APP_ENV, NODE_ENV)) {
          String value = get(var);
          if (value != null) {
            profileSource = var;
            p = Profile.named(value).orElse(null);
            if (p == null) {
              log.warn("{}={} names no profile (development, preview, staging, production); using development", var, value);
              p = Profile.DEVELOPMENT;
            }
            break;
          }
        }
      }

      int max = maxSize != null ? maxSize : intFromEnv(DATABASE_POOL_MAX_SIZE, p.maxSize());
      int min = minSize != null ? minSize : intFromEnv(DATABASE_POOL_MIN_SIZE, 0);
      if (max < 1) {
        throw new IllegalArgumentException("pool max size must be at least 1, got " + max);
      }
      if (min < 0 || min > max) {
        throw new IllegalArgumentException(
            "pool min size must be between 0 and the max size " + max + ", got " + min);
      }

      Duration idle = idleTimeout != null ? idleTimeout : p.idleTimeout();
      Duration timeout = connectionTimeout != null ? connectionTimeout : p.connectionTimeout();
      Duration lifetime = maxLifetime != null ? maxLifetime : DEFAULT_MAX_LIFETIME;
      Duration leak = leakDetectionThreshold != null ? leakDetectionThreshold : DEFAULT_LEAK_DETECTION_THRESHOLD;
      require(!idle.isNegative() && (idle.isZero() || idle.toMillis() >= 10_000), "idle timeout must be 0 or at least 10 s");
      require(timeout.toMillis() >= 250, "connection timeout must be at least 250 ms");
      require(lifetime.toMillis() >= 30_000, "max lifetime must be at least 30 s");
      require(
          leak.isZero() || (leak.toMillis() >= 2000 && leak.compareTo(lifetime) < 0),
          "leak detection threshold must be 0, or at least 2 s and below the max lifetime");

      Duration statement = statementTimeout;
      if (statement == null) {
        String fromEnv = get(DATABASE_STATEMENT_TIMEOUT);
        if (fromEnv != null) {
          statement = Durations.parse(fromEnv);
        } else if (StartupOptions.setsStatementTimeout(dbUrl.property(PGProperty.OPTIONS.getName()))) {
          statement = null; // the URL's own options say it
        } else {
          statement = DEFAULT_STATEMENT_TIMEOUT;
        }
      }
      require(statement == null || !statement.isNegative(), "statement timeout cannot be negative");

      return new PoolSettings(
          name != null ? name : DEFAULT_NAME,
          p,
          profileSource,
          dbUrl,
          min,
          max,
          idle,
          timeout,
          lifetime,
          statement,
          leak);
    }

    public BreakwaterPool build() {
      return new BreakwaterPool(this, settings());
    }

    private static void require(boolean ok, String message) {
      if (!ok) {
        throw new IllegalArgumentException(message);
      }
    }

    private String get(String var) {
      String v = env.apply(var);
      return v == null || v.isBlank() ? null : v.trim();
    }

    private String firstSet(String... vars) {
      for (String var : vars) {
        String v = get(var);
        if (v != null) {
          return v;
        }
      }
      return null;
    }

    private int intFromEnv(String var, int fallback) {
      String v = get(var);
      if (v == null) {
        return fallback;
      }
      try {
        return Integer.parseInt(v);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(var + " must be a whole number, got '" + v + "'");
      }
    }
  }
}
