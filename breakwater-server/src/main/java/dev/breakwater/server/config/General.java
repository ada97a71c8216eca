package dev.breakwater.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code [pgbouncer]} section, typed. Every component is one setting of {@link
 * ConfigLoader#definitions()} (named there in snake_case); see docs/configuration.md for what each
 * does and whether Breakwater acts on it yet.
 *
 * <p>Conventions: strings and paths are null when not set (an empty value in the file also gives
 * null; so a null {@link #unixSocketDir} means no Unix socket and a null {@link
 * #serverResetQuery} means no reset). A zero {@link Duration} means "disabled" where PgBouncer
 * uses 0 that way (see each setting's description; {@code server_lifetime = 0} instead means use
 * each server once). Relative paths have been resolved against the directory of the file that set
 * them. Collections are unmodifiable and keep the order written.
 */
public record General(
    // where clients connect
    List<String> listenAddr,
    int listenPort,
    String unixSocketDir,
    int unixSocketMode,
    String unixSocketGroup,
    int listenBacklog,
    boolean soReuseport,
    int peerId,
    // authentication
    AuthType authType,
    Path authFile,
    Path authHbaFile,
    Path authIdentFile,
    String authLdapOptions,
    String authUser,
    String authQuery,
    String authDbname,
    int scramIterations,
    // admin console
    Set<String> adminUsers,
    Set<String> statsUsers,
    // pools and limits
    PoolMode poolMode,
    int maxClientConn,
    int defaultPoolSize,
    int minPoolSize,
    int reservePoolSize,
    Duration reservePoolTimeout,
    int maxDbConnections,
    int maxDbClientConnections,
    int maxUserConnections,
    int maxUserClientConnections,
    boolean serverRoundRobin,
    Duration autodbIdleTimeout,
    // server connections
    String serverResetQuery,
    boolean serverResetQueryAlways,
    String serverCheckQuery,
    Duration serverCheckDelay,
    boolean serverFastClose,
    Duration serverLifetime,
    Duration serverIdleTimeout,
    Duration serverConnectTimeout,
    Duration serverLoginRetry,
    // client timeouts
    Duration queryTimeout,
    Duration queryWaitTimeout,
    Duration queryWaitNotify,
    Duration clientIdleTimeout,
    Duration clientLoginTimeout,
    Duration idleTransactionTimeout,
    Duration transactionTimeout,
    Duration cancelWaitTimeout,
    Duration suspendTimeout,
    // protocol
    Set<String> ignoreStartupParameters,
    List<String> trackExtraParameters,
    int maxPreparedStatements,
    boolean disablePqexec,
    boolean applicationNameAddHost,
    int maxPacketSize,
    int pktBuf,
    int sbufLoopcnt,
    // logging and process
    Path logfile,
    Path pidfile,
    boolean logConnections,
    boolean logDisconnections,
    boolean logPoolerErrors,
    boolean logStats,
    Duration statsPeriod,
    boolean syslog,
    String syslogIdent,
    String syslogFacility,
    int verbose,
    String user,
    String jobName,
    Path conffile,
    // DNS
    Duration dnsMaxTtl,
    Duration dnsNxdomainTtl,
    Duration dnsZoneCheckPeriod,
    Path resolvConf,
    // TCP
    int tcpDeferAccept,
    boolean tcpKeepalive,
    int tcpKeepcnt,
    int tcpKeepidle,
    int tcpKeepintvl,
    int tcpSocketBuffer,
    int tcpUserTimeout,
    // TLS towards clients
    SslMode clientTlsSslmode,
    Path clientTlsKeyFile,
    Path clientTlsCertFile,
    Path clientTlsCaFile,
    String clientTlsProtocols,
    String clientTlsCiphers,
    String clientTls13Ciphers,
    String clientTlsDheparams,
    String clientTlsEcdhcurve,
    // TLS towards servers
    SslMode serverTlsSslmode,
    Path serverTlsCaFile,
    Path serverTlsKeyFile,
    Path serverTlsCertFile,
    String serverTlsProtocols,
    String serverTlsCiphers,
    String serverTls13Ciphers,
    TlsProvider tlsProvider,
    String logFormat,
    // Breakwater's own
    String httpListenAddr,
    int httpListenPort,
    Duration authCacheTtl,
    boolean sessionPinning,
    boolean httpServerless,
    boolean httpTls,
    int httpMaxRequestSize,
    int httpMaxResponseSize,
    HttpToken httpAuthToken,
    Set<String> httpAllowedHosts,
    int workerThreads) {

  public General {
    listenAddr = List.copyOf(listenAddr);
    adminUsers = ordered(adminUsers);
    statsUsers = ordered(statsUsers);
    ignoreStartupParameters = ordered(ignoreStartupParameters);
    trackExtraParameters = List.copyOf(trackExtraParameters);
    httpAllowedHosts = ordered(httpAllowedHosts);
  }

  private static final General DEFAULTS = fromValues(defaultValues());

  /** Every setting at PgBouncer's default (plus Breakwater's HTTP endpoint off). */
  public static General defaults() {
    return DEFAULTS;
  }

  /** Whether a TCP listener is configured at all (PgBouncer listens on Unix socket only if not). */
  public boolean listensOnTcp() {
    return !listenAddr.isEmpty();
  }

  /** Whether {@code listen_addr} contains {@code *}: listen on every address. */
  public boolean listensOnAllAddresses() {
    return listenAddr.contains("*");
  }

  /** Whether Breakwater's HTTP endpoint is on ({@code http_listen_port} is not 0). */
  public boolean httpEnabled() {
    return httpListenPort != 0;
  }

  /**
   * Every setting's current value as SHOW CONFIG prints it, in SHOW CONFIG order. Values are never
   * null; a setting that is not set shows as "".
   */
  public Map<String, String> asText() {
    Map<String, String> text = new LinkedHashMap<>();
    for (SettingDefinition def : SettingTable.ALL) {
      text.put(def.name(), def.valueText(this));
    }
    return Collections.unmodifiableMap(text);
  }

  /**
   * One setting's value as SHOW CONFIG prints it.
   *
   * @throws IllegalArgumentException if there is no such setting
   */
  public String valueOf(String settingName) {
    SettingDefinition def =
        SettingTable.BY_NAME.get(settingName.toLowerCase(java.util.Locale.ROOT));
    if (def == null) {
      throw new IllegalArgumentException("unknown setting \"" + settingName + "\"");
    }
    return def.valueText(this);
  }

  /**
   * A copy with one setting changed, for the admin console's SET. Relative paths are resolved
   * against the directory of {@link #conffile}.
   *
   * @throws ConfigException if the setting is unknown, cannot change at run time, or the value is
   *     invalid; the exception has no file or line
   */
  public General withSetting(String settingName, String value) throws ConfigException {
    String name = settingName.trim().toLowerCase(java.util.Locale.ROOT);
    SettingDefinition def = SettingTable.BY_NAME.get(name);
    if (def == null) {
      throw new ConfigException(null, 0, name, value, "unknown setting \"" + name + "\"");
    }
    if (!def.reloadable()) {
      throw new ConfigException(
          null, 0, name, value, name + ": cannot be changed while running; restart instead");
    }
    Map<String, Object> values = toValues();
    Path baseDir = conffile == null ? null : conffile.toAbsolutePath().getParent();
    try {
      values.put(name, def.parse(value.trim(), baseDir));
    } catch (ValueParsers.BadValue e) {
      throw ConfigException.invalidValue(null, 0, "", name, value, e.allowed);
    }
    return fromValues(values);
  }

  /** Each setting's typed value by name. */
  Map<String, Object> toValues() {
    Map<String, Object> values = new LinkedHashMap<>();
    for (SettingDefinition def : SettingTable.ALL) {
      values.put(def.name(), def.value(this));
    }
    return values;
  }

  static Map<String, Object> defaultValues() {
    Map<String, Object> values = new LinkedHashMap<>();
    for (SettingDefinition def : SettingTable.ALL) {
      values.put(def.name(), def.parse(def.defaultText(), null));
    }
    return values;
  }

  private static <T> Set<T> ordered(Set<T> items) {
    return Collections.unmodifiableSet(new java.util.LinkedHashSet<>(items));
  }

  /** Builds a General from typed values keyed by setting name (see {@link SettingTable}). */
  static General fromValues(Map<String, Object> values) {
    Values v = new Values(values);
    return new General(
        v.list("listen_addr"),
        v.i("listen_port"),
        v.str("unix_socket_dir"),
        v.i("unix_socket_mode"),
        v.str("unix_socket_group"),
        v.i("listen_backlog"),
        v.b("so_reuseport"),
        v.i("peer_id"),
        v.get("auth_type", AuthType.class),
        v.path("auth_file"),
        v.path("auth_hba_file"),
        v.path("auth_ident_file"),
        v.str("auth_ldap_options"),
        v.str("auth_user"),
        v.str("auth_query"),
        v.str("auth_dbname"),
        v.i("scram_iterations"),
        v.set("admin_users"),
        v.set("stats_users"),
        v.get("pool_mode", PoolMode.class),
        v.i("max_client_conn"),
        v.i("default_pool_size"),
        v.i("min_pool_size"),
        v.i("reserve_pool_size"),
        v.d("reserve_pool_timeout"),
        v.i("max_db_connections"),
        v.i("max_db_client_connections"),
        v.i("max_user_connections"),
        v.i("max_user_client_connections"),
        v.b("server_round_robin"),
        v.d("autodb_idle_timeout"),
        v.str("server_reset_query"),
        v.b("server_reset_query_always"),
        v.str("server_check_query"),
        v.d("server_check_delay"),
        v.b("server_fast_close"),
        v.d("server_lifetime"),
        v.d("server_idle_timeout"),
        v.d("server_connect_timeout"),
        v.d("server_login_retry"),
        v.d("query_timeout"),
        v.d("query_wait_timeout"),
        v.d("query_wait_notify"),
        v.d("client_idle_timeout"),
        v.d("client_login_timeout"),
        v.d("idle_transaction_timeout"),
        v.d("transaction_timeout"),
        v.d("cancel_wait_timeout"),
        v.d("suspend_timeout"),
        v.set("ignore_startup_parameters"),
        v.list("track_extra_parameters"),
        v.i("max_prepared_statements"),
        v.b("disable_pqexec"),
        v.b("application_name_add_host"),
        v.i("max_packet_size"),
        v.i("pkt_buf"),
        v.i("sbuf_loopcnt"),
        v.path("logfile"),
        v.path("pidfile"),
        v.b("log_connections"),
        v.b("log_disconnections"),
        v.b("log_pooler_errors"),
        v.b("log_stats"),
        v.d("stats_period"),
        v.b("syslog"),
        v.str("syslog_ident"),
        v.str("syslog_facility"),
        v.i("verbose"),
        v.str("user"),
        v.str("job_name"),
        v.path("conffile"),
        v.d("dns_max_ttl"),
        v.d("dns_nxdomain_ttl"),
        v.d("dns_zone_check_period"),
        v.path("resolv_conf"),
        v.i("tcp_defer_accept"),
        v.b("tcp_keepalive"),
        v.i("tcp_keepcnt"),
        v.i("tcp_keepidle"),
        v.i("tcp_keepintvl"),
        v.i("tcp_socket_buffer"),
        v.i("tcp_user_timeout"),
        v.get("client_tls_sslmode", SslMode.class),
        v.path("client_tls_key_file"),
        v.path("client_tls_cert_file"),
        v.path("client_tls_ca_file"),
        v.str("client_tls_protocols"),
        v.str("client_tls_ciphers"),
        v.str("client_tls13_ciphers"),
        v.str("client_tls_dheparams"),
        v.str("client_tls_ecdhcurve"),
        v.get("server_tls_sslmode", SslMode.class),
        v.path("server_tls_ca_file"),
        v.path("server_tls_key_file"),
        v.path("server_tls_cert_file"),
        v.str("server_tls_protocols"),
        v.str("server_tls_ciphers"),
        v.str("server_tls13_ciphers"),
        v.get("tls_provider", TlsProvider.class),
        v.str("log_format"),
        v.str("http_listen_addr"),
        v.i("http_listen_port"),
        v.d("auth_cache_ttl"),
        v.b("session_pinning"),
        v.b("http_serverless"),
        v.b("http_tls"),
        v.i("http_max_request_size"),
        v.i("http_max_response_size"),
        v.get("http_auth_token_file", HttpToken.class),
        v.set("http_allowed_hosts"),
        v.i("worker_threads"));
  }

  /** Typed reads from the values map; a name missing from the table is a programming error. */
  private static final class Values {
    private final Map<String, Object> values;

    Values(Map<String, Object> values) {
      this.values = values;
    }

    <T> T get(String name, Class<T> type) {
      if (!SettingTable.BY_NAME.containsKey(name) || !values.containsKey(name)) {
        throw new IllegalStateException("no setting " + name);
      }
      return type.cast(values.get(name));
    }

    String str(String name) {
      return get(name, String.class);
    }

    Path path(String name) {
      return get(name, Path.class);
    }

    int i(String name) {
      return get(name, Integer.class);
    }

    boolean b(String name) {
      return get(name, Boolean.class);
    }

    Duration d(String name) {
      return get(name, Duration.class);
    }

    @SuppressWarnings("unchecked")
    List<String> list(String name) {
      return get(name, List.class);
    }

    @SuppressWarnings("unchecked")
    Set<String> set(String name) {
      return get(name, Set.class);
    }
  }
}
