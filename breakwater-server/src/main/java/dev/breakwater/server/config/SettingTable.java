package dev.breakwater.server.config;

import dev.breakwater.server.config.SettingDefinition.Type;
import dev.breakwater.server.config.ValueParsers.BadValue;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The {@code [pgbouncer]} settings as one table, in the order PgBouncer's SHOW CONFIG prints them
 * (alphabetical), followed by Breakwater's own. Names, defaults and the "changeable" flag follow
 * PgBouncer 1.25 ({@code src/main.c}); descriptions are ours.
 */
final class SettingTable {
  private SettingTable() {}

  private static final boolean RELOAD = true;
  private static final boolean NO_RELOAD = false;
  private static final int MAX = Integer.MAX_VALUE;

  /** PgBouncer 1.24's default, which skips roles whose password has expired. */
  static final String DEFAULT_AUTH_QUERY =
      "SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END"
          + " FROM pg_authid WHERE rolname=$1 AND rolcanlogin";

  /**
   * Settings Breakwater acts on today; every other setting is parsed and validated but has no
   * effect yet. Keep in step with the server; docs/configuration.md is generated from this.
   */
  static final Set<String> ACTED_ON =
      Set.of(
          "listen_addr",
          "listen_port",
          "unix_socket_dir",
          "unix_socket_mode",
          "listen_backlog",
          "so_reuseport",
          "peer_id",
          "auth_type",
          "auth_file",
          "auth_user",
          "auth_query",
          "auth_dbname",
          "auth_hba_file",
          "auth_ident_file",
          "auth_cache_ttl",
          "autodb_idle_timeout",
          "session_pinning",
          "admin_users",
          "stats_users",
          "pool_mode",
          "max_client_conn",
          "default_pool_size",
          "min_pool_size",
          "reserve_pool_size",
          "reserve_pool_timeout",
          "max_db_connections",
          "max_user_connections",
          "max_db_client_connections",
          "max_user_client_connections",
          "max_prepared_statements",
          "server_reset_query",
          "server_reset_query_always",
          "server_check_query",
          "server_check_delay",
          "server_lifetime",
          "server_idle_timeout",
          "server_connect_timeout",
          "server_login_retry",
          "query_timeout",
          "query_wait_timeout",
          "query_wait_notify",
          "server_fast_close",
          "client_idle_timeout",
          "client_login_timeout",
          "idle_transaction_timeout",
          "transaction_timeout",
          "tcp_keepalive",
          "tcp_keepcnt",
          "tcp_keepidle",
          "tcp_keepintvl",
          "tcp_user_timeout",
          "ignore_startup_parameters",
          "client_tls_sslmode",
          "client_tls_key_file",
          "client_tls_cert_file",
          "client_tls_ca_file",
          "client_tls_protocols",
          "client_tls_ciphers",
          "client_tls13_ciphers",
          "server_tls_sslmode",
          "server_tls_ca_file",
          "server_tls_key_file",
          "server_tls_cert_file",
          "server_tls_protocols",
          "server_tls_ciphers",
          "server_tls13_ciphers",
          "tls_provider",
          "log_format",
          "verbose",
          "logfile",
          "pidfile",
          // Operate and observe (admin, http, stats packages).
          "log_connections",
          "log_disconnections",
          "log_pooler_errors",
          "log_stats",
          "stats_period",
          "http_listen_addr",
          "http_listen_port",
          "http_serverless",
          "http_tls",
          "http_max_request_size",
          "http_max_response_size",
          "http_auth_token_file",
          "http_allowed_hosts",
          "worker_threads");

  static final List<SettingDefinition> ALL =
      List.of(
          set("admin_users", "", RELOAD, false,
              "Users allowed to run every admin console command.", General::adminUsers),
          bool("application_name_add_host", "0", RELOAD,
              "Append the client's address and port to application_name at login.",
              General::applicationNameAddHost),
          def("auth_dbname", Type.STRING, "", RELOAD,
              "a database name other than pgbouncer; empty means not set",
              "Database whose connection runs auth_query, unless the database sets its own;"
                  + " never pgbouncer, the admin console's.",
              SettingTable::parseAuthDbname, General::authDbname),
          path("auth_file", "", RELOAD,
              "File with user names and secrets, in userlist.txt format.", General::authFile),
          path("auth_hba_file", "", RELOAD,
              "pg_hba.conf-style rules, used when auth_type is hba.", General::authHbaFile),
          path("auth_ident_file", "", RELOAD,
              "pg_ident.conf-style user name maps for the hba rules.", General::authIdentFile),
          str("auth_ldap_options", "", RELOAD,
              "Default LDAP options for ldap rules in auth_hba_file.", General::authLdapOptions),
          str("auth_query", DEFAULT_AUTH_QUERY, RELOAD,
              "Query run as auth_user to fetch the secret of a user not in auth_file.",
              General::authQuery),
          enumOf("auth_type", "md5", RELOAD, AuthType.allowedNames(), AuthType::parse,
              "How clients authenticate.", General::authType),
          str("auth_user", "", RELOAD,
              "User that runs auth_query; its own secret comes from auth_file.",
              General::authUser),
          secs("autodb_idle_timeout", "3600", RELOAD,
              "Free pools made from the * entry after this long with no client and no server. 0: never.",
              General::autodbIdleTimeout),
          secs("cancel_wait_timeout", "10", RELOAD,
              "Drop a cancel request that waits longer than this for a server. 0 waits forever.",
              General::cancelWaitTimeout),
          secs("client_idle_timeout", "0", RELOAD,
              "Close client connections idle longer than this. 0 disables.",
              General::clientIdleTimeout),
          secs("client_login_timeout", "60", RELOAD,
              "Close clients that have not logged in within this time. 0 disables.",
              General::clientLoginTimeout),
          str("client_tls13_ciphers", "", RELOAD,
              "TLS 1.3 cipher suites offered to clients, colon-separated (TLS_AES_256_GCM_SHA384...). Empty: the JDK's.", General::clientTls13Ciphers),
          path("client_tls_ca_file", "", RELOAD,
              "CA certificates that client certificates are checked against.",
              General::clientTlsCaFile),
          path("client_tls_cert_file", "", RELOAD,
              "Certificate presented to clients.", General::clientTlsCertFile),
          str("client_tls_ciphers", "default", RELOAD,
              "Ciphers allowed for client TLS 1.2 and older, in OpenSSL syntax.",
              General::clientTlsCiphers),
          str("client_tls_dheparams", "auto", RELOAD,
              "DHE key exchange for client TLS: none, auto or legacy.",
              General::clientTlsDheparams),
          str("client_tls_ecdhcurve", "auto", RELOAD,
              "Elliptic curve for ECDH key exchange with clients: none, auto or a curve name.",
              General::clientTlsEcdhcurve),
          path("client_tls_key_file", "", RELOAD,
              "Private key of client_tls_cert_file, PEM: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), not encrypted.", General::clientTlsKeyFile),
          str("client_tls_protocols", "secure", RELOAD,
              "TLS versions accepted from clients (tlsv1.2, tlsv1.3, secure, all...).",
              General::clientTlsProtocols),
          enumOf("client_tls_sslmode", "disable", RELOAD, SslMode.allowedNames(), SslMode::parse,
              "Whether clients may, or must, use TLS.", General::clientTlsSslmode),
          path("conffile", "", RELOAD,
              "The config file in use; RELOAD reads it again.", General::conffile),
          integer("default_pool_size", "20", 0, MAX, RELOAD,
              "Server connections per (database, user) pool. 0 means no limit.",
              General::defaultPoolSize),
          bool("disable_pqexec", "0", NO_RELOAD,
              "Refuse the simple query protocol (only extended protocol clients work).",
              General::disablePqexec),
          secs("dns_max_ttl", "15", RELOAD,
              "How long DNS answers are cached.", General::dnsMaxTtl),
          secs("dns_nxdomain_ttl", "15", RELOAD,
              "How long failed DNS lookups are cached.", General::dnsNxdomainTtl),
          secs("dns_zone_check_period", "0", RELOAD,
              "How often DNS zone serials are checked for changes. 0 disables.",
              General::dnsZoneCheckPeriod),
          secs("idle_transaction_timeout", "0", RELOAD,
              "Close clients idle inside a transaction (or after extended-protocol messages with no Sync) longer than this. 0 disables.",
              General::idleTransactionTimeout),
          lowerSet("ignore_startup_parameters", "", RELOAD,
              "Startup parameters that are ignored instead of refused (lower-cased).",
              General::ignoreStartupParameters),
          str("job_name", "pgbouncer", NO_RELOAD,
              "Service name, also used for syslog.", General::jobName),
          list("listen_addr", "", NO_RELOAD,
              "TCP addresses to listen on, comma separated; * means all. Empty: no TCP listener.",
              General::listenAddr),
          integer("listen_backlog", "128", 0, MAX, NO_RELOAD,
              "Backlog of each listening socket (epoll and io_uring have one per event loop).", General::listenBacklog),
          integer("listen_port", "6432", 1, 65535, NO_RELOAD,
              "Port for the TCP and Unix socket listeners.", General::listenPort),
          bool("log_connections", "1", RELOAD,
              "Log each successful login.", General::logConnections),
          bool("log_disconnections", "1", RELOAD,
              "Log each disconnection with its reason.", General::logDisconnections),
          bool("log_pooler_errors", "1", RELOAD,
              "Log the errors the pooler sends to clients.", General::logPoolerErrors),
          bool("log_stats", "1", RELOAD,
              "Log aggregated statistics every stats_period.", General::logStats),
          path("logfile", "", RELOAD,
              "File to log to, besides standard error.", General::logfile),
          integer("max_client_conn", "100", 0, MAX, RELOAD,
              "Maximum number of client connections.", General::maxClientConn),
          integer("max_db_client_connections", "0", 0, MAX, RELOAD,
              "Maximum client connections per database. 0 means no limit.",
              General::maxDbClientConnections),
          integer("max_db_connections", "0", 0, MAX, RELOAD,
              "Maximum server connections per database, over all users. 0 means no limit.",
              General::maxDbConnections),
          integer("max_packet_size", "2147483647", 0, MAX, RELOAD,
              "Largest protocol message accepted, in bytes.", General::maxPacketSize),
          integer("max_prepared_statements", "200", 0, MAX, RELOAD,
              "Prepared statements tracked per server in transaction/statement mode. 0 disables.",
              General::maxPreparedStatements),
          integer("max_user_client_connections", "0", 0, MAX, RELOAD,
              "Maximum client connections per user. 0 means no limit.",
              General::maxUserClientConnections),
          integer("max_user_connections", "0", 0, MAX, RELOAD,
              "Maximum server connections per user, over all databases. 0 means no limit.",
              General::maxUserConnections),
          integer("min_pool_size", "0", 0, MAX, RELOAD,
              "Keep at least this many server connections open per pool.", General::minPoolSize),
          integer("peer_id", "0", 0, 16383, RELOAD,
              "This process's id among peers ([peers]): the cancel keys it hands out carry it, and a cancel request whose key carries another peer's id is forwarded to that peer. 0 disables peering.",
              General::peerId),
          path("pidfile", "", NO_RELOAD,
              "File to write the process id to.", General::pidfile),
          integer("pkt_buf", "4096", 0, MAX, NO_RELOAD,
              "Size of internal packet buffers, in bytes.", General::pktBuf),
          enumOf("pool_mode", "session", RELOAD, PoolMode.allowedNames(), PoolMode::parse,
              "When a server goes back to the pool: after the session, transaction or statement.",
              General::poolMode),
          secs("query_timeout", "0", RELOAD,
              "Cancel queries running longer than this. 0 disables.", General::queryTimeout),
          wholeSecs("query_wait_notify", "5", RELOAD,
              "Send a NOTICE to a client that has waited this long for a server. 0 disables.",
              General::queryWaitNotify),
          secs("query_wait_timeout", "120", RELOAD,
              "Close clients that wait longer than this for a server. 0 waits forever.",
              General::queryWaitTimeout),
          integer("reserve_pool_size", "0", 0, MAX, RELOAD,
              "Extra servers a pool may open once a client has waited reserve_pool_timeout.",
              General::reservePoolSize),
          secs("reserve_pool_timeout", "5", RELOAD,
              "How long a client waits before the reserve pool is used. 0 disables.",
              General::reservePoolTimeout),
          path("resolv_conf", "", NO_RELOAD,
              "Alternative resolv.conf for DNS lookups.", General::resolvConf),
          integer("sbuf_loopcnt", "5", 0, MAX, RELOAD,
              "Rounds of work on one connection before moving on. 0 means no limit.",
              General::sbufLoopcnt),
          integer("scram_iterations", "4096", 1, MAX, RELOAD,
              "Iterations when computing SCRAM secrets from plain-text passwords.",
              General::scramIterations),
          secs("server_check_delay", "30", RELOAD,
              "Servers idle longer than this are checked with server_check_query before reuse.",
              General::serverCheckDelay),
          str("server_check_query", "<empty>", RELOAD,
              "Liveness check for idle servers; <empty> sends an empty query, empty disables.",
              General::serverCheckQuery),
          secs("server_connect_timeout", "15", RELOAD,
              "Give up connecting and logging in to a server after this long.",
              General::serverConnectTimeout),
          bool("server_fast_close", "0", RELOAD,
              "In session mode, close servers marked for closing (RECONNECT, a moved database) at"
                  + " transaction end, disconnecting their clients.",
              General::serverFastClose),
          secs("server_idle_timeout", "600", RELOAD,
              "Close servers idle longer than this. 0 disables.", General::serverIdleTimeout),
          secs("server_lifetime", "3600", RELOAD,
              "Close released servers connected longer than this. 0 means use each only once.",
              General::serverLifetime),
          secs("server_login_retry", "15", RELOAD,
              "After a failed server login, wait this long before trying again.",
              General::serverLoginRetry),
          str("server_reset_query", "DISCARD ALL", RELOAD,
              "Query that cleans a server before another client gets it (session mode).",
              General::serverResetQuery),
          bool("server_reset_query_always", "0", RELOAD,
              "Run server_reset_query in every pool mode, not only session.",
              General::serverResetQueryAlways),
          bool("server_round_robin", "0", RELOAD,
              "Reuse servers round-robin instead of last-in first-out.",
              General::serverRoundRobin),
          str("server_tls13_ciphers", "", RELOAD,
              "TLS 1.3 cipher suites for server connections, colon-separated. Empty: the JDK's.", General::serverTls13Ciphers),
          path("server_tls_ca_file", "", RELOAD,
              "CA certificates that server certificates are checked against.",
              General::serverTlsCaFile),
          path("server_tls_cert_file", "", RELOAD,
              "Client certificate presented to servers.", General::serverTlsCertFile),
          str("server_tls_ciphers", "default", RELOAD,
              "Ciphers allowed for server TLS 1.2 and older, in OpenSSL syntax.",
              General::serverTlsCiphers),
          path("server_tls_key_file", "", RELOAD,
              "Private key of server_tls_cert_file, PEM: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), not encrypted.", General::serverTlsKeyFile),
          str("server_tls_protocols", "secure", RELOAD,
              "TLS versions used towards servers.", General::serverTlsProtocols),
          enumOf("server_tls_sslmode", "prefer", RELOAD, SslMode.allowedNames(), SslMode::parse,
              "TLS towards servers, with libpq's sslmode meanings.", General::serverTlsSslmode),
          bool("so_reuseport", "0", NO_RELOAD,
              "Let other processes of the same user listen on the same port (SO_REUSEPORT), e.g. peers (see docs/operations.md). With epoll or io_uring each event loop has a socket of its own either way.",
              General::soReuseport),
          wholeSecs("stats_period", "60", RELOAD,
              "How often SHOW STATS averages are updated and statistics logged.",
              General::statsPeriod),
          set("stats_users", "", RELOAD, false,
              "Users allowed to run read-only (SHOW) admin console commands.",
              General::statsUsers),
          secs("suspend_timeout", "10", RELOAD,
              "How long SUSPEND waits for buffers to flush before dropping a connection.",
              General::suspendTimeout),
          bool("syslog", "0", RELOAD, "Also log to syslog.", General::syslog),
          str("syslog_facility", "daemon", RELOAD, "Syslog facility.", General::syslogFacility),
          str("syslog_ident", "pgbouncer", RELOAD, "Name used in syslog messages.",
              General::syslogIdent),
          integer("tcp_defer_accept", "1", 0, MAX, RELOAD,
              "Set TCP_DEFER_ACCEPT on the listening socket (Linux).", General::tcpDeferAccept),
          bool("tcp_keepalive", "1", RELOAD,
              "Turn on TCP keepalive, with OS defaults unless tcp_keep* are set.",
              General::tcpKeepalive),
          integer("tcp_keepcnt", "0", 0, MAX, RELOAD,
              "Keepalive probes before the connection is dropped. 0: OS default.",
              General::tcpKeepcnt),
          integer("tcp_keepidle", "0", 0, MAX, RELOAD,
              "Seconds idle before keepalive probes start. 0: OS default.", General::tcpKeepidle),
          integer("tcp_keepintvl", "0", 0, MAX, RELOAD,
              "Seconds between keepalive probes. 0: OS default.", General::tcpKeepintvl),
          integer("tcp_socket_buffer", "0", 0, MAX, RELOAD,
              "Socket buffer size in bytes. 0: OS default.", General::tcpSocketBuffer),
          integer("tcp_user_timeout", "0", 0, MAX, RELOAD,
              "TCP_USER_TIMEOUT in milliseconds. 0: OS default.", General::tcpUserTimeout),
          list("track_extra_parameters", "IntervalStyle", NO_RELOAD,
              "Parameters, besides the built-in ones, tracked per client and set on servers.",
              General::trackExtraParameters),
          secs("transaction_timeout", "0", RELOAD,
              "Close clients whose transaction lasts longer than this. 0 disables.",
              General::transactionTimeout),
          str("unix_socket_dir", "/tmp", NO_RELOAD,
              "Directory of the Unix socket; empty disables it, @name is an abstract socket.",
              General::unixSocketDir),
          str("unix_socket_group", "", NO_RELOAD,
              "Group that owns the Unix socket.", General::unixSocketGroup),
          integer("unix_socket_mode", "0777", 0, 0777, NO_RELOAD,
              "File mode of the Unix socket (octal with a leading 0).", General::unixSocketMode),
          str("user", "", NO_RELOAD,
              "Unix user to switch to after start.", General::user),
          integer("verbose", "0", 0, MAX, RELOAD,
              "Log verbosity, as -v on the command line.", General::verbose),
          // Breakwater's own settings; PgBouncer does not know them.
          str("http_listen_addr", "", NO_RELOAD,
              "Breakwater: address of the HTTP endpoint (health, metrics, dashboard); * for every"
                  + " address. Empty: 127.0.0.1.",
              General::httpListenAddr),
          integer("http_listen_port", "0", 0, 65535, NO_RELOAD,
              "Breakwater: port of the HTTP endpoint. 0: off.", General::httpListenPort),
          bool("http_serverless", "0", RELOAD,
              "Breakwater: serve Neon's serverless driver on the HTTP endpoint (POST /sql and the"
                  + " WebSocket /v2), its clients authenticated and pooled as TCP clients. See docs/edge.md.",
              General::httpServerless),
          bool("http_tls", "0", NO_RELOAD,
              "Breakwater: the HTTP endpoint speaks TLS only (https://, wss://), with the"
                  + " client_tls_key_file and client_tls_cert_file certificate.",
              General::httpTls),
          integer("http_max_request_size", "10485760", 1024, MAX, RELOAD,
              "Breakwater: largest body of a request to the HTTP endpoint (POST /sql) and largest"
                  + " WebSocket frame on /v2, in bytes; a larger request is answered 413. Neon's"
                  + " default, 10 MiB. Applies to new HTTP connections.",
              General::httpMaxRequestSize),
          integer("http_max_response_size", "10485760", 1024, MAX, RELOAD,
              "Breakwater: largest answer to a POST /sql request, in bytes, counted while its rows"
                  + " are turned into JSON; a larger one is answered 507. Neon's default, 10 MiB.",
              General::httpMaxResponseSize),
          secs("auth_cache_ttl", "5", RELOAD,
              "Breakwater: how long an auth_query answer (or its absence) is reused. 0: not cached.",
              General::authCacheTtl),
          bool("session_pinning", "1", RELOAD,
              "Breakwater: in transaction mode, keep a client on its server while it holds session"
                  + " state that cannot follow it (advisory locks, temporary tables, cursors WITH HOLD,"
                  + " PREPARE, LOAD, SET ROLE). 0: PgBouncer's behaviour.",
              General::sessionPinning),
          enumOf("tls_provider", "auto", RELOAD, TlsProvider.allowedNames(), TlsProvider::parse,
              "Breakwater: TLS implementation on both sides. auto: BoringSSL (netty-tcnative) where"
                  + " its native library loads, else the JDK's; openssl: BoringSSL or refuse to start;"
                  + " jdk: the JDK's.",
              General::tlsProvider),
          def("log_format", Type.STRING, "text", NO_RELOAD, "text or json",
              "Breakwater: the log's lines, on standard output and in logfile: text (PgBouncer's shape)"
                  + " or json (one JSON object a line, Logback's JsonEncoder).",
              SettingTable::parseLogFormat, General::logFormat),
          def("http_auth_token_file", Type.PATH, "", RELOAD, "a file name; empty means not set",
              "Breakwater: file whose first line is a bearer token (at least 16 characters) that"
                  + " the HTTP endpoint requires for /api/*, /metrics and /health (header"
                  + " Authorization: Bearer TOKEN); /live, /ready, POST /sql and /v2 stay open. Read"
                  + " at start and on RELOAD. Empty: no token. See docs/operations.md.",
              (text, dir) -> {
                java.nio.file.Path file = parsePath(text, dir);
                return file == null ? null : HttpToken.read(file);
              },
              g -> g.httpAuthToken() == null ? null : g.httpAuthToken().file()),
          lowerSet("http_allowed_hosts", "", RELOAD,
              "Breakwater: host names, besides localhost and the address a request came to, that"
                  + " the HTTP endpoint accepts in the Host header (against DNS rebinding); * accepts"
                  + " any. /live, /ready, POST /sql and /v2 accept any.",
              General::httpAllowedHosts),
          integer("worker_threads", "0", 0, 1024, NO_RELOAD,
              "Breakwater: event loops, the threads that serve clients and servers (and as many for"
                  + " the HTTP endpoint). 0: one per core the JVM sees. PgCat's worker_threads."
                  + " See docs/operations.md on choosing it.",
              General::workerThreads));

  static final Map<String, SettingDefinition> BY_NAME = index();

  /** Breakwater's own settings, which PgBouncer does not know: the table's last ones. */
  static final List<SettingDefinition> BREAKWATER_OWN =
      ALL.subList(ALL.indexOf(BY_NAME.get("http_listen_addr")), ALL.size());

  private static Map<String, SettingDefinition> index() {
    Map<String, SettingDefinition> byName = new LinkedHashMap<>();
    for (SettingDefinition def : ALL) {
      if (byName.put(def.name(), def) != null) {
        throw new IllegalStateException("setting defined twice: " + def.name());
      }
    }
    return java.util.Collections.unmodifiableMap(byName);
  }

  // ---- factories, one per type ----

  private static SettingDefinition def(
      String name,
      Type type,
      String defaultText,
      boolean reloadable,
      String allowed,
      String description,
      SettingDefinition.Parser parser,
      Function<General, Object> getter) {
    return new SettingDefinition(
        name, type, defaultText, reloadable, ACTED_ON.contains(name), allowed, description,
        parser, getter);
  }

  private static SettingDefinition str(
      String name, String def, boolean reload, String desc, Function<General, Object> getter) {
    return def(name, Type.STRING, def, reload, "any text; empty means not set", desc,
        (text, dir) -> emptyToNull(text), getter);
  }

  /** As PgBouncer: the admin console's database cannot run auth_query. */
  private static Object parseLogFormat(String text, Path dir) {
    String f = text.trim().toLowerCase(java.util.Locale.ROOT);
    if (!f.equals("text") && !f.equals("json")) {
      throw new ValueParsers.BadValue("text or json");
    }
    return f;
  }

  private static Object parseAuthDbname(String text, Path dir) {
    if (Settings.ADMIN_DATABASE.equals(text)) {
      throw new ValueParsers.BadValue(
          "a database name other than pgbouncer (cannot use the reserved \"pgbouncer\" database as"
              + " an auth_dbname)");
    }
    return emptyToNull(text);
  }

  private static SettingDefinition path(
      String name, String def, boolean reload, String desc, Function<General, Object> getter) {
    return def(name, Type.PATH, def, reload, "a file name; empty means not set", desc,
        SettingTable::parsePath, getter);
  }

  private static SettingDefinition integer(
      String name, String def, int min, int max, boolean reload, String desc,
      Function<General, Object> getter) {
    return def(name, Type.INT, def, reload, ValueParsers.intAllowed(min, max), desc,
        (text, dir) -> ValueParsers.integer(text, min, max), getter);
  }

  private static SettingDefinition bool(
      String name, String def, boolean reload, String desc, Function<General, Object> getter) {
    return def(name, Type.BOOL, def, reload, "0 or 1", desc,
        (text, dir) -> ValueParsers.bool(text), getter);
  }

  private static SettingDefinition secs(
      String name, String def, boolean reload, String desc, Function<General, Object> getter) {
    return def(name, Type.SECONDS, def, reload, ValueParsers.SECONDS_ALLOWED, desc,
        (text, dir) -> ValueParsers.seconds(text), getter);
  }

  private static SettingDefinition wholeSecs(
      String name, String def, boolean reload, String desc, Function<General, Object> getter) {
    return def(name, Type.WHOLE_SECONDS, def, reload, ValueParsers.WHOLE_SECONDS_ALLOWED, desc,
        (text, dir) -> ValueParsers.wholeSeconds(text), getter);
  }

  private static SettingDefinition list(
      String name, String def, boolean reload, String desc, Function<General, Object> getter) {
    return def(name, Type.LIST, def, reload, "comma-separated names", desc,
        (text, dir) -> ValueParsers.list(text), getter);
  }

  private static SettingDefinition set(
      String name, String def, boolean reload, boolean lowerCase, String desc,
      Function<General, Object> getter) {
    return def(name, Type.LIST, def, reload, "comma-separated names", desc,
        (text, dir) -> ValueParsers.set(text, lowerCase), getter);
  }

  private static SettingDefinition lowerSet(
      String name, String def, boolean reload, String desc, Function<General, Object> getter) {
    return set(name, def, reload, true, desc, getter);
  }

  private static SettingDefinition enumOf(
      String name, String def, boolean reload, String allowedNames,
      Function<String, Object> parse, String desc, Function<General, Object> getter) {
    return def(name, Type.ENUM, def, reload, allowedNames, desc,
        (text, dir) -> {
          try {
            return parse.apply(text);
          } catch (IllegalArgumentException e) {
            throw new BadValue(allowedNames);
          }
        },
        getter);
  }

  static String emptyToNull(String text) {
    return text.isEmpty() ? null : text;
  }

  /**
   * Empty is "not set"; a relative name is taken relative to {@code baseDir}, unless no such file
   * is there and one is in the working directory, where PgBouncer looks: then that one.
   */
  static Path parsePath(String text, Path baseDir) {
    if (text.isEmpty()) {
      return null;
    }
    try {
      Path path = Path.of(text);
      if (!path.isAbsolute() && baseDir != null) {
        Path inBase = baseDir.resolve(path);
        Path inWorkingDir = path.toAbsolutePath();
        path = !java.nio.file.Files.exists(inBase) && java.nio.file.Files.exists(inWorkingDir) ? inWorkingDir : inBase;
      }
      return path.normalize();
    } catch (InvalidPathException e) {
      throw new BadValue("a file name");
    }
  }
}
