package dev.breakwater.server.config;

import dev.breakwater.server.config.ValueParsers.BadValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The keys allowed in {@code [databases]}, {@code [users]} and {@code [peers]} lines, as tables:
 * name, type, meaning, and how to store the value. Names follow PgBouncer 1.25's {@code
 * src/loader.c}; as there, an unknown key makes the line invalid.
 */
final class EntryParameters {
  private EntryParameters() {}

  /** A key of one section: its documentation and how it sets a builder. */
  record Param<B>(ParameterDefinition definition, String allowed, BiConsumer<B, String> setter) {}

  static final class DatabaseBuilder {
    final String name;
    String host;
    int port = DatabaseEntry.DEFAULT_PORT;
    String dbname;
    String user;
    String password;
    Integer poolSize;
    Integer minPoolSize;
    Integer reservePoolSize;
    Integer maxDbConnections;
    PoolMode poolMode;
    String connectQuery;
    String clientEncoding;
    String datestyle;
    String timezone;
    String applicationName;
    String authUser;
    String authQuery;
    String authDbname;
    Duration serverLifetime;
    Integer maxDbClientConnections;
    LoadBalanceHosts loadBalanceHosts = LoadBalanceHosts.ROUND_ROBIN;

    DatabaseBuilder(String name) {
      this.name = name;
    }

    DatabaseEntry build() {
      return new DatabaseEntry(
          name, host, port, dbname, user, password, poolSize, minPoolSize, reservePoolSize,
          maxDbConnections, poolMode, connectQuery, clientEncoding, datestyle, timezone,
          applicationName, authUser, authQuery, authDbname, serverLifetime,
          maxDbClientConnections, loadBalanceHosts);
    }
  }

  static final class UserBuilder {
    final String name;
    PoolMode poolMode;
    Integer poolSize;
    Integer reservePoolSize;
    Integer maxUserConnections;
    Duration queryTimeout;
    Duration idleTransactionTimeout;
    Duration transactionTimeout;
    Duration clientIdleTimeout;
    Integer maxUserClientConnections;

    UserBuilder(String name) {
      this.name = name;
    }

    UserEntry build() {
      return new UserEntry(
          name, poolMode, poolSize, reservePoolSize, maxUserConnections, queryTimeout,
          idleTransactionTimeout, transactionTimeout, clientIdleTimeout, maxUserClientConnections);
    }
  }

  static final class PeerBuilder {
    final int peerId;
    String host;
    int port = PeerEntry.DEFAULT_PORT;
    Integer poolSize;

    PeerBuilder(int peerId) {
      this.peerId = peerId;
    }

    PeerEntry build() {
      return new PeerEntry(peerId, host, port, poolSize);
    }
  }

  private static final String COUNT = ValueParsers.intAllowed(0, Integer.MAX_VALUE);
  private static final String PORT = ValueParsers.intAllowed(1, 65535);

  static final Map<String, Param<DatabaseBuilder>> DATABASE =
      table(
          "databases",
          List.of(
              text("dbname", "the entry's name", true,
                  "Database name on the server.", (b, v) -> b.dbname = v),
              text("host", DatabaseEntry.DEFAULT_HOST, true,
                  "Server host name or address; /dir or @name for a Unix socket; a,b for several"
                      + " hosts.",
                  (b, v) -> b.host = v),
              param("port", "integer", "5432", true, "Server port.", PORT,
                  (b, v) -> b.port = ValueParsers.integer(v, 1, 65535)),
              text("user", "the client's user", true,
                  "Log in to the server as this user for every client (one pool per database).",
                  (b, v) -> b.user = v),
              text("password", "from auth_file or auth_query", true,
                  "Password for user.", (b, v) -> b.password = v),
              count("pool_size", "default_pool_size", true,
                  "Pool size for this database.", (b, v) -> b.poolSize = v),
              count("min_pool_size", "min_pool_size", true,
                  "Minimum pool size for this database.", (b, v) -> b.minPoolSize = v),
              count("reserve_pool_size", "reserve_pool_size", true,
                  "Reserve pool size for this database.", (b, v) -> b.reservePoolSize = v),
              count("reserve_pool", "reserve_pool_size", true,
                  "Older name of reserve_pool_size.", (b, v) -> b.reservePoolSize = v),
              count("max_db_connections", "max_db_connections", true,
                  "Server connections allowed to this database over all pools; 0 means the global"
                      + " limit.",
                  (b, v) -> b.maxDbConnections = v),
              count("max_db_client_connections", "max_db_client_connections", true,
                  "Client connections allowed to this database.",
                  (b, v) -> b.maxDbClientConnections = v),
              param("pool_mode", "enum", "[users] or global pool_mode", true,
                  "Pool mode for this database.", PoolMode.allowedNames(),
                  (b, v) -> b.poolMode = parseEnum(v, PoolMode::parse, PoolMode.allowedNames())),
              text("connect_query", "none", true,
                  "Query run on each new server connection before clients use it.",
                  (b, v) -> b.connectQuery = v),
              text("client_encoding", "the server's", true,
                  "client_encoding asked of the server.", (b, v) -> b.clientEncoding = v),
              text("datestyle", "the server's", true,
                  "DateStyle asked of the server.", (b, v) -> b.datestyle = v),
              text("timezone", "the server's", true,
                  "TimeZone asked of the server.", (b, v) -> b.timezone = v),
              text("application_name", "the client's", true,
                  "application_name asked of the server.", (b, v) -> b.applicationName = v),
              text("auth_user", "global auth_user", true,
                  "User that runs auth_query for this database.", (b, v) -> b.authUser = v),
              text("auth_query", "global auth_query", true,
                  "auth_query for this database.", (b, v) -> b.authQuery = v),
              text("auth_dbname", "global auth_dbname", true,
                  "Database whose connection runs auth_query.", (b, v) -> b.authDbname = v),
              param("server_lifetime", "seconds", "global server_lifetime", true,
                  "server_lifetime for this database; 0 means the global one.",
                  ValueParsers.SECONDS_ALLOWED,
                  (b, v) -> b.serverLifetime = ValueParsers.seconds(v)),
              param("load_balance_hosts", "enum", "round-robin", true,
                  "How new server connections pick among several hosts (host=a,b): in turn, or the"
                      + " first that answers (disable); a host that cannot be reached is passed over.",
                  LoadBalanceHosts.allowedNames(),
                  (b, v) -> b.loadBalanceHosts = parseEnum(
                      v, LoadBalanceHosts::parse, LoadBalanceHosts.allowedNames()))));

  static final Map<String, Param<UserBuilder>> USER =
      table(
          "users",
          List.of(
              param("pool_mode", "enum", "database or global pool_mode", true,
                  "Pool mode for this user's connections.", PoolMode.allowedNames(),
                  (b, v) -> b.poolMode = parseEnum(v, PoolMode::parse, PoolMode.allowedNames())),
              count("pool_size", "database or global pool size", true,
                  "Pool size for this user's pools.", (b, v) -> b.poolSize = v),
              count("reserve_pool_size", "database or global reserve_pool_size", true,
                  "Reserve pool size for this user's pools.", (b, v) -> b.reservePoolSize = v),
              count("max_user_connections", "max_user_connections", true,
                  "Server connections allowed to this user over all pools; 0 means the global"
                      + " limit.",
                  (b, v) -> b.maxUserConnections = v),
              count("max_user_client_connections", "max_user_client_connections", true,
                  "Client connections allowed to this user.",
                  (b, v) -> b.maxUserClientConnections = v),
              seconds("query_timeout", true, "query_timeout for this user.",
                  (b, v) -> b.queryTimeout = v),
              seconds("idle_transaction_timeout", true,
                  "idle_transaction_timeout for this user.",
                  (b, v) -> b.idleTransactionTimeout = v),
              seconds("transaction_timeout", true, "transaction_timeout for this user.",
                  (b, v) -> b.transactionTimeout = v),
              seconds("client_idle_timeout", true, "client_idle_timeout for this user.",
                  (b, v) -> b.clientIdleTimeout = v)));

  static final Map<String, Param<PeerBuilder>> PEER =
      table(
          "peers",
          List.of(
              text("host", "required", true,
                  "Host of the peer process, or the directory of its Unix socket (starts with /).", (b, v) -> b.host = v),
              param("port", "integer", "6432", true, "Port of the peer process.", PORT,
                  (b, v) -> b.port = ValueParsers.integer(v, 1, 65535)),
              count("pool_size", "default_pool_size", true,
                  "At most this many cancel requests are forwarded to the peer at once, each over a connection of its own; others wait their turn.",
                  (b, v) -> b.poolSize = v)));

  /** The documentation of every key of a section, in table order. */
  static <B> List<ParameterDefinition> definitions(Map<String, Param<B>> table) {
    List<ParameterDefinition> defs = new ArrayList<>();
    for (Param<B> p : table.values()) {
      defs.add(p.definition());
    }
    return List.copyOf(defs);
  }

  // ---- table helpers ----

  private static <B> Map<String, Param<B>> table(String section, List<ParamSpec<B>> specs) {
    Map<String, Param<B>> byName = new LinkedHashMap<>();
    for (ParamSpec<B> s : specs) {
      ParameterDefinition def =
          new ParameterDefinition(section, s.name, s.type, s.defaultText, s.allowed,
              s.description, s.actedOn);
      byName.put(s.name, new Param<>(def, s.allowed, s.setter));
    }
    return Collections.unmodifiableMap(byName);
  }

  private record ParamSpec<B>(
      String name, String type, String defaultText, boolean actedOn, String description,
      String allowed, BiConsumer<B, String> setter) {}

  private static <B> ParamSpec<B> param(
      String name, String type, String defaultText, boolean actedOn, String description,
      String allowed, BiConsumer<B, String> setter) {
    return new ParamSpec<>(name, type, defaultText, actedOn, description, allowed, setter);
  }

  private static <B> ParamSpec<B> text(
      String name, String defaultText, boolean actedOn, String description,
      BiConsumer<B, String> setter) {
    return param(name, "string", defaultText, actedOn, description, "any text", setter);
  }

  private static <B> ParamSpec<B> count(
      String name, String defaultText, boolean actedOn, String description,
      BiConsumer<B, Integer> setter) {
    return param(name, "integer", defaultText, actedOn, description, COUNT,
        (b, v) -> setter.accept(b, ValueParsers.integer(v, 0, Integer.MAX_VALUE)));
  }

  private static <B> ParamSpec<B> seconds(
      String name, boolean actedOn, String description, BiConsumer<B, Duration> setter) {
    return param(name, "seconds", "global " + name, actedOn, description,
        ValueParsers.SECONDS_ALLOWED, (b, v) -> setter.accept(b, ValueParsers.seconds(v)));
  }

  private static <E> E parseEnum(
      String text, java.util.function.Function<String, E> parse, String allowed) {
    try {
      return parse.apply(text);
    } catch (IllegalArgumentException e) {
      throw new BadValue(allowed);
    }
  }
}
