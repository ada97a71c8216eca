package dev.breakwater.server.config;

import java.time.Duration;
import java.util.List;

/**
 * One line of {@code [databases]}: the name clients ask for and where, and as whom, Breakwater
 * connects for it. Written in PgBouncer's connection-string syntax, e.g. {@code app = host=db1
 * port=5432 dbname=app_prod pool_size=10}.
 *
 * <p>Null means "not given": overrides ({@code poolSize}, {@code poolMode}...) then inherit from
 * {@code [users]} or {@code [pgbouncer]}, as {@link Settings#poolSettings} resolves them.
 *
 * @param name the name clients connect to; {@code *} for the fallback entry
 * @param host where the server is; null means the default. PgBouncer then uses its Unix socket
 *     directory; <b>Breakwater connects to {@value #DEFAULT_HOST} over TCP instead</b> (see {@link
 *     #hosts()}). A value starting with {@code /} is a Unix socket directory, {@code @} an
 *     abstract Unix socket; a comma-separated list names several hosts.
 * @param port server port, 5432 unless given
 * @param dbname the server-side database; null means the same as {@code name}
 * @param user if set, every client of this database uses this server user (one pool per
 *     database); null means the client's own user name
 * @param password password for {@code user}; null means take it from the auth file or auth query
 * @param reservePoolSize {@code reserve_pool_size=} (or its older name {@code reserve_pool=})
 * @param maxDbConnections 0 or null: inherit the global {@code max_db_connections}
 * @param serverLifetime overrides the global {@code server_lifetime}; PgBouncer treats 0 here as
 *     "not set"
 */
public record DatabaseEntry(
    String name,
    String host,
    int port,
    String dbname,
    String user,
    String password,
    Integer poolSize,
    Integer minPoolSize,
    Integer reservePoolSize,
    Integer maxDbConnections,
    PoolMode poolMode,
    String connectQuery,
    String clientEncoding,
    String datestyle,
    String timezone,
    String applicationName,
    String authUser,
    String authQuery,
    String authDbname,
    Duration serverLifetime,
    Integer maxDbClientConnections,
    LoadBalanceHosts loadBalanceHosts) {

  /** The name of the fallback entry. */
  public static final String FALLBACK_NAME = "*";

  /** Where Breakwater connects when an entry gives no host. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  public static final int DEFAULT_PORT = 5432;

  /** An entry with only a name: every other field at its default. */
  public static DatabaseEntry named(String name) {
    return new DatabaseEntry(
        name, null, DEFAULT_PORT, null, null, null, null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, LoadBalanceHosts.ROUND_ROBIN);
  }

  /** The database name sent to the server: {@code dbname}, or else the entry's name. */
  public String targetDbname() {
    return dbname != null ? dbname : name;
  }

  /** The hosts to connect to: the comma-separated {@code host}, else {@link #DEFAULT_HOST}. */
  public List<String> hosts() {
    if (host == null) {
      return List.of(DEFAULT_HOST);
    }
    return ValueParsers.list(host);
  }

  /** Whether {@code host} names a Unix socket (a directory path or an abstract {@code @name}). */
  public boolean isUnixSocket() {
    return host != null && (host.startsWith("/") || host.startsWith("@"));
  }

  /** Whether all clients share one server user ({@code user=} was given). */
  public boolean forcesUser() {
    return user != null;
  }

  /** Whether this is the {@code *} fallback entry. */
  public boolean isFallback() {
    return FALLBACK_NAME.equals(name);
  }

  /** The same entry under another name (used to apply the {@code *} entry to a requested name). */
  public DatabaseEntry withName(String newName) {
    return new DatabaseEntry(
        newName, host, port, dbname, user, password, poolSize, minPoolSize, reservePoolSize,
        maxDbConnections, poolMode, connectQuery, clientEncoding, datestyle, timezone,
        applicationName, authUser, authQuery, authDbname, serverLifetime, maxDbClientConnections,
        loadBalanceHosts);
  }

  /** Never prints the password. */
  @Override
  public String toString() {
    return "DatabaseEntry[" + name + " -> " + (host == null ? DEFAULT_HOST : host) + ":" + port
        + "/" + targetDbname() + (user == null ? "" : " as " + user) + "]";
  }
}
