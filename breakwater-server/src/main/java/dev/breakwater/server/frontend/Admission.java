package dev.breakwater.server.frontend;

import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.backend.ReplicationMode;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.LogText;
import dev.breakwater.server.config.AuthType;
import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.Settings;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether a client may log in, and how it is to prove who it is: the checks made before any
 * password is asked, in PgBouncer's order (shutdown, max_client_conn, the admin console's users,
 * disabled databases, auth_hba_file, auth_type=any's forced user, max_db_client_connections and
 * max_user_client_connections). A client refused is closed with its error.
 *
 * @param type how the client proves who it is (auth_type, or its auth_hba_file rule's)
 * @param database the database's entry; null for the admin console or a database that does not
 *     exist
 * @param console the client logs in to the admin console
 * @param localAdmin the console's own user over the Unix socket as the pooler's OS user: no
 *     password
 * @param unknownDatabase the database does not exist, which is said once the client has
 *     authenticated
 * @param hba the auth_hba_file rule that matched (peer, and its map= option), or null
 */
record Admission(
    AuthType type,
    DatabaseEntry database,
    boolean console,
    boolean localAdmin,
    boolean unknownDatabase,
    Hba.Decision hba) {

  private static final Logger log = LoggerFactory.getLogger(Admission.class);

  /** Decides for {@code client}, its startup parameters read; null when it was refused. */
  static Admission decide(Frontend frontend, ClientConnection client) {
    Settings settings = frontend.settings();
    String user = client.user();
    String database = client.database();
    boolean console = AdminConsole.isAdminDatabase(database) && frontend.adminConsole() != null;
    if (!frontend.acceptingClients() && !AdminConsole.isAdminDatabase(database)) {
      // Shutting down: only the admin console (over the Unix socket, still open) is let in.
      client.fatal(SqlState.CANNOT_CONNECT_NOW, "pooler is shutting down", CloseReason.SHUTDOWN);
      return null;
    }
    if (frontend.connectionCount() > settings.general().maxClientConn()) {
      client.fatal(
          SqlState.TOO_MANY_CONNECTIONS,
          "no more connections allowed (max_client_conn)",
          CloseReason.MAX_CLIENT_CONN);
      return null;
    }
    if (client.replication() != ReplicationMode.NONE && console) {
      client.fatal(
          SqlState.FEATURE_NOT_SUPPORTED,
          "replication connections to the admin console are not supported",
          CloseReason.CLIENT_LOGIN_FAILED);
      return null;
    }
    if (console) {
      if (user.equals("pgbouncer") && LocalPeer.sameUser(client.channel())) {
        log.info("{}: pgbouncer access from unix socket", client);
        // Counted in the console's database, never refused: the operator can always get in.
        count(frontend, client, null, true, false);
        return new Admission(AuthType.TRUST, null, true, true, false, null);
      }
      boolean admin = settings.general().adminUsers().contains(user);
      if (!admin && !settings.general().statsUsers().contains(user)) {
        client.fatal(
            SqlState.INSUFFICIENT_PRIVILEGE,
            "not allowed: " + user + " is in neither admin_users nor stats_users",
            CloseReason.CLIENT_LOGIN_FAILED);
        return null;
      }
      if (!count(frontend, client, null, admin, true)) {
        return null;
      }
    }
    if (!console && frontend.isDisabled(database)) {
      client.fatal(
          SqlState.CANNOT_CONNECT_NOW,
          "database \"" + database + "\" is disabled",
          CloseReason.DATABASE_DISABLED);
      return null;
    }
    Hba.Decision hba = null;
    Optional<DatabaseEntry> db = console ? Optional.empty() : settings.database(database);
    AuthType type = settings.general().authType();
    if (type == AuthType.HBA) {
      boolean tls = EdgeClient.encrypted(client.channel());
      java.net.InetAddress from =
          client.remoteAddress() instanceof java.net.InetSocketAddress a ? a.getAddress() : null;
      Hba rules = frontend.hba();
      Hba.Decision d =
          rules == null
              ? new Hba.Decision(null, 0)
              : rules.decide(database, user, from, tls, client.replication() == ReplicationMode.PHYSICAL);
      if (d.rejected()) {
        client.fatal(
            SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
            (d.line() > 0 ? "pg_hba.conf rejects connection" : "no pg_hba.conf entry")
                + " for host \"" + (from == null ? "[local]" : from.getHostAddress()) + "\", user \"" + user
                + "\", database \"" + database + "\", " + (tls ? "SSL encryption" : "no encryption"),
            CloseReason.CLIENT_LOGIN_FAILED);
        return null;
      }
      type = d.authType();
      hba = d;
    }
    if (db.isEmpty() && !console) {
      if (type == AuthType.TRUST || type == AuthType.ANY) {
        client.fatal(SqlState.INVALID_CATALOG_NAME, "no such database: " + database, CloseReason.UNKNOWN_DATABASE);
        return null;
      }
      // As PgBouncer: the client proves who it is first (against a secret nobody knows when the
      // user is unknown too), so that the answer does not tell which databases exist.
      return new Admission(type, null, false, false, true, hba);
    }
    if (type == AuthType.ANY && !console && !db.get().forcesUser()) {
      // PgBouncer's rule: any ignores the client's user name, so only the database may say who to
      // be; otherwise anyone could be any user of the auth file (a superuser too) with no password.
      log.error("{}: auth_type=any requires forced user: database \"{}\" has no user=", client,
          LogText.escape(database));
      client.fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "auth_type=any requires forced user",
          CloseReason.CLIENT_LOGIN_FAILED);
      return null;
    }
    if (!console && !count(frontend, client, db.get(), false, true)) {
      return null;
    }
    return new Admission(type, db.orElse(null), console, false, false, hba);
  }

  /**
   * Whether the client's database or user already holds as many clients as
   * max_db_client_connections or max_user_client_connections allows, before this one is counted:
   * the login then lets the event loops settle first (a client that sent its Terminate just before
   * this one connected is gone after that), and asks again.
   */
  static boolean atClientLimit(Frontend frontend, ClientConnection client) {
    Settings settings = frontend.settings();
    String database = client.database();
    boolean console = AdminConsole.isAdminDatabase(database) && frontend.adminConsole() != null;
    DatabaseEntry db = console ? null : settings.database(database).orElse(null);
    if (!console && db == null) {
      return false;
    }
    int limit = databaseLimit(settings, db);
    String name = db == null ? Settings.ADMIN_DATABASE : db.name();
    if (limit > 0 && frontend.clientCounts().ofDatabase(name) >= limit) {
      return true;
    }
    int userLimit = userLimit(settings, client.user());
    return userLimit > 0 && frontend.clientCounts().ofUser(client.user()) >= userLimit;
  }

  /** max_user_client_connections for {@code user}; 0 for none. */
  private static int userLimit(Settings settings, String user) {
    return settings
        .user(user)
        .map(dev.breakwater.server.config.UserEntry::maxUserClientConnections)
        .filter(n -> n > 0)
        .orElse(settings.general().maxUserClientConnections());
  }

  /** max_db_client_connections for {@code db} (the admin console's when null); 0 for none. */
  private static int databaseLimit(Settings settings, DatabaseEntry db) {
    return db != null && db.maxDbClientConnections() != null && db.maxDbClientConnections() > 0
        ? db.maxDbClientConnections()
        : settings.general().maxDbClientConnections();
  }

  /**
   * Counts this client in its database ({@code db}, or the admin console's when null) and, when
   * {@code countUser}, in its user, and refuses it when that goes over max_db_client_connections
   * or max_user_client_connections. PgBouncer's rules: the count is taken before the client proves
   * who it is, and admin_users are never refused in the admin console ({@code exempt}). With
   * auth_type=any the user counted is the database's forced user. False when the client was refused.
   */
  private static boolean count(
      Frontend frontend, ClientConnection client, DatabaseEntry db, boolean exempt, boolean countUser) {
    Settings settings = frontend.settings();
    ClientCounts counts = frontend.clientCounts();
    String dbName = db == null ? Settings.ADMIN_DATABASE : db.name();
    client.countedIn(dbName, null);
    int dbClients = counts.addDatabase(dbName);
    int dbLimit = databaseLimit(settings, db);
    if (!exempt && dbLimit > 0 && dbClients > dbLimit) {
      client.fatal(
          SqlState.TOO_MANY_CONNECTIONS,
          "client connections exceeded (max_db_client_connections)",
          CloseReason.CLIENT_CONNECTION_LIMIT);
      return false;
    }
    if (!countUser) {
      return true;
    }
    String user = client.user();
    String counted =
        db != null && settings.general().authType() == AuthType.ANY && db.forcesUser() ? db.user() : user;
    client.countedIn(dbName, counted);
    int userClients = counts.addUser(counted);
    int userLimit = userLimit(settings, counted);
    if (!exempt && userLimit > 0 && userClients > userLimit) {
      client.fatal(
          SqlState.TOO_MANY_CONNECTIONS,
          "client connections exceeded (max_user_client_connections)",
          CloseReason.CLIENT_CONNECTION_LIMIT);
      return false;
    }
    return true;
  }
}
