package dev.breakwater.server.frontend;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.StartupPacket.StartupMessage;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.ClientMemory;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.backend.Link;
import dev.breakwater.server.backend.LinkedClient;
import dev.breakwater.server.backend.ParameterSync;
import dev.breakwater.server.backend.PreparedStatements;
import dev.breakwater.server.backend.ReplicationMode;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.config.AuthType;
import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import dev.breakwater.server.pool.PoolSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection after its startup packet: login, then the forwarding of its messages to
 * whichever server the pool lends it.
 *
 * <p>Runs on the client's event loop. Its use of a server (the server itself, and the bytes and
 * replies pending while there is none) is its {@link Link}'s, which says what guards it. This
 * object's monitor guards the notifications that wait for it; nothing that blocks or does I/O on
 * another connection is done while holding it, except queueing a write.
 */
public final class ClientConnection extends ChannelInboundHandlerAdapter
    implements FrameScanner.Handler, LinkedClient {

  private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
  private static final AtomicLong IDS = new AtomicLong();
  /** The longest message read whole: a password or SASL message. Others stream through. */
  private static final int MAX_INSPECTED = 64 * 1024;
  /** The client's messages its connection reads (the rest is counted from headers, or forwarded). */
  public static final FrameScanner.Inspected CLIENT_TYPES =
      FrameScanner.Inspected.of(MessageType.TERMINATE, MessageType.PASSWORD);

  /** In the admin console every message is read whole and answered by the session. */
  private static final byte[] ADMIN_TYPES = {
    MessageType.QUERY, MessageType.PARSE, MessageType.BIND, MessageType.DESCRIBE,
    MessageType.EXECUTE, MessageType.SYNC, MessageType.CLOSE, MessageType.FLUSH,
    MessageType.FUNCTION_CALL, MessageType.COPY_DATA, MessageType.COPY_DONE, MessageType.COPY_FAIL
  };
  /**
   * The most bytes of notifications kept for one client (in a transaction, or not reading): past
   * it the client is dropped with an error, as PostgreSQL refuses a NOTIFY when its own queue is
   * full; a listener cannot make the pooler hold notifications without limit. 1 MiB is over a
   * hundred notifications of PostgreSQL's largest payload (8000 bytes), thousands of usual ones.
   */
  public static final int MAX_QUEUED_NOTIFICATIONS = 1 << 20;

  private final long id = IDS.incrementAndGet();
  private final Frontend frontend;
  /** The startup packet, until login is done. */
  private StartupMessage startup;
  private final long connectedNanos;

  private ChannelHandlerContext ctx;
  private Channel channel;
  /** How the client came (TCP, Unix socket, POST /sql, WebSocket), set with the channel. */
  private ClientKind kind = ClientKind.TCP;
  private FrameScanner scanner;
  private Outbox outbox;

  private volatile ClientState state = ClientState.LOGIN;
  private String database;
  private String user;
  private Pool pool;
  private ClientAuthenticator authenticator;
  private boolean authenticated;
  /** Set when the client logged in to the admin console instead of a pool. */
  private AdminConsole.Session adminSession;
  private boolean adminLogin;
  /** The database asked for does not exist: said once the client has authenticated. */
  private boolean unknownDatabase;
  /** The auth_hba_file rule that matched (auth_type = hba): peer, and its map= option. */
  private Hba.Decision hbaDecision;
  /** The admin console's own user, over the Unix socket as the pooler's OS user (no password). */
  private boolean localAdmin;
  /** The replication startup parameter: NONE for an ordinary client. */
  private ReplicationMode replication = ReplicationMode.NONE;
  /** A replication client's startup parameters, for its own server, as they came. */
  private Map<String, String> replicationParameters = Map.of();
  /** The secret auth_query found, which servers of this client's pool can log in with. */
  private Secret queriedSecret;
  /** The database and user this client is counted in (ClientCounts), or null. */
  private String countedDatabase;
  private String countedUser;
  private long cancelKey;

  /** What the client was told by ParameterStatus: touched by the linked server, or at login. */
  private final ParameterOverlay reported = new ParameterOverlay();
  /** Other settings the client asked for (startup parameters, options -c, SETs it made). */
  private Map<String, String> extras; // made on first use: most clients set nothing
  /** The settings the client gave at startup: what RESET goes back to. */
  private Map<String, String> startupExtras = Map.of();
  /** Channels this client listens on through its pool's listening connection. */
  private volatile java.util.Set<String> listening;
  private volatile dev.breakwater.server.backend.Listener listener;
  /**
   * Notifications that came while the client was in a transaction, or while its channel was not
   * writable (it reads slowly): guarded by this.
   */
  private java.util.ArrayDeque<ByteBuf> notifications;
  /** The bytes {@link #notifications} holds: guarded by this. */
  private int notificationBytes;
  /** The client was dropped for the notifications it let pile up: guarded by this. */
  private boolean notificationsOverflowed;
  /** The client's prepared statement names: touched only by the linked server's loop. */
  private Map<String, PreparedStatements.Statement> statements; // made on first use

  /** The client's use of a server: one for its life. */
  private final Link link = new Link(this);
  /** Extended-protocol messages read since the last Sync or Query (event loop only). */
  private boolean unsyncedRead;
  private volatile boolean closed;

  private volatile long waitStartedNanos;
  private volatile long lastActivityNanos = System.nanoTime();
  private java.util.concurrent.ScheduledFuture<?> loginTimeout;

  // Per read.
  private int readReplies;
  private boolean terminated;

  ClientConnection(Frontend frontend, StartupMessage startup, long connectedNanos) {
    this.frontend = frontend;
    this.startup = startup;
    this.connectedNanos = connectedNanos;
  }

  // ---- Accessors used by pools, servers and views ----

  public long id() {
    return id;
  }

  public Channel channel() {
    return channel;
  }

  /** How the client came: TCP, Unix socket, a POST /sql request or a WebSocket session. */
  public ClientKind kind() {
    return kind;
  }

  @Override
  public EventLoop eventLoop() {
    return channel.eventLoop();
  }

  public ClientState state() {
    return state;
  }

  public boolean isClosed() {
    return closed;
  }

  public boolean isLoggingIn() {
    return state == ClientState.LOGIN;
  }

  public String database() {
    return database;
  }

  public String user() {
    return user;
  }

  /** True for a client of the admin console rather than of a pool. */
  public boolean isAdmin() {
    return adminLogin;
  }

  /** Whether this is a walsender client (replication startup parameter), and which kind. */
  public ReplicationMode replication() {
    return replication;
  }

  /**
   * A replication client's startup parameters (all but user, database, replication, protocol
   * options and ignore_startup_parameters; options as sent), for the startup packet of its server.
   */
  public Map<String, String> replicationParameters() {
    return replicationParameters;
  }

  /** The pool this client uses, or null (admin console, or not logged in yet). */
  public Pool pool() {
    return pool;
  }

  public SocketAddress remoteAddress() {
    EdgeClient edge = EdgeClient.of(channel);
    return edge != null ? edge.peer() : channel.remoteAddress();
  }

  public long connectedNanos() {
    return connectedNanos;
  }

  public long waitStartedNanos() {
    return waitStartedNanos;
  }

  /** When the client last sent something. */
  public long lastActivityNanos() {
    return lastActivityNanos;
  }

  public void waitStartedNanos(long now) {
    waitStartedNanos = now;
  }

  /** The parameters the client was told of; the linked server's loop updates them. */
  public Map<String, String> reportedParameters() {
    return reported;
  }

  public Map<String, String> extraParameters() {
    if (extras == null) {
      extras = new HashMap<>();
    }
    return extras;
  }

  /**
   * The pool's welcome parameters this client's reported parameters are based on, when it asked
   * for no other setting; else null. With {@link #ownParameters} it says what the client holds, so
   * a server can tell it agrees without comparing parameter by parameter. Read on the linked
   * server's loop, which alone updates the parameters.
   */
  public Map<String, String> parameterBaseWithoutExtras() {
    return extras == null || extras.isEmpty() ? reported.baseOrNull() : null;
  }

  /**
   * The reported parameters in which this client differs from its pool's welcome parameters, or
   * null when none: a map never changed once returned (a change replaces it).
   */
  public Map<String, String> ownParameters() {
    return reported.own();
  }

  /** The settings the client gave at startup. */
  public Map<String, String> startupExtras() {
    return startupExtras;
  }

  /** The channels the client listens on (LISTEN in transaction mode), made on first use. */
  public java.util.Set<String> listening() {
    java.util.Set<String> l = listening;
    if (l == null) {
      synchronized (this) {
        if (listening == null) {
          listening = java.util.concurrent.ConcurrentHashMap.newKeySet();
        }
        l = listening;
      }
    }
    return l;
  }

  public void listener(dev.breakwater.server.backend.Listener l) {
    this.listener = l;
  }

  /**
   * A notification for this client (owned by the callee). Written at once between transactions
   * when the client's channel takes it, else kept until the transaction ends (so it never lands
   * inside a reply) or the channel drains; at most {@link #MAX_QUEUED_NOTIFICATIONS} bytes are kept.
   * From any thread.
   */
  public void deliverNotification(ByteBuf message) {
    synchronized (this) {
      if (closed || notificationsOverflowed) {
        message.release();
        return;
      }
      if (link.server() != null
          || (notifications != null && !notifications.isEmpty())
          || !channel.isWritable()) {
        int size = message.readableBytes();
        if (notificationBytes + (long) size > MAX_QUEUED_NOTIFICATIONS) {
          message.release();
          notificationsOverflowed = true;
          int held = notificationBytes;
          eventLoop().execute(() -> dropForNotifications(held));
          return;
        }
        if (notifications == null) {
          notifications = new java.util.ArrayDeque<>();
        }
        notifications.add(message);
        notificationBytes += size;
        return;
      }
      channel.writeAndFlush(message, channel.voidPromise());
    }
  }

  /**
   * The transaction ended, or the channel drained: the notifications that waited go out, as many
   * as the channel takes (the rest on its next writability event). From any thread.
   */
  public void flushNotifications() {
    synchronized (this) {
      if (notifications == null || notifications.isEmpty() || link.server() != null) {
        return;
      }
      ByteBuf m;
      while (channel.isWritable() && (m = notifications.poll()) != null) {
        notificationBytes -= m.readableBytes();
        if (closed) {
          m.release();
        } else {
          channel.write(m, channel.voidPromise());
        }
      }
      channel.flush();
    }
  }

  /**
   * More notifications than {@link #MAX_QUEUED_NOTIFICATIONS} for a client that does not take
   * them: it is dropped with an error. One that reads gets the error after what it was sent; one
   * that does not is closed at once, its unsent bytes dropped (the error could not reach it).
   */
  private void dropForNotifications(int held) {
    if (closed) {
      return;
    }
    log.warn("{}: closing because more than {} bytes of notifications were waiting for it ({} held,"
            + " channel {}writable)",
        this, MAX_QUEUED_NOTIFICATIONS, held, channel.isWritable() ? "" : "not ");
    ErrorFields error =
        ErrorFields.of(
            "FATAL",
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            "too many notifications waiting for this client (more than "
                + MAX_QUEUED_NOTIFICATIONS
                + " bytes): it does not read them fast enough");
    if (channel.isWritable()) {
      sendAndClose(error, CloseReason.NOTIFICATION_QUEUE_FULL);
    } else {
      ByteBuf out = ctx.alloc().buffer();
      error.encode(out, MessageType.ERROR_RESPONSE);
      ctx.writeAndFlush(out, ctx.voidPromise());
      close(CloseReason.NOTIFICATION_QUEUE_FULL);
    }
  }

  /** The client's prepared statements by its own names; for the linked server's loop only. */
  @Override
  public Map<String, PreparedStatements.Statement> statements() {
    if (statements == null) {
      statements = new HashMap<>();
    }
    return statements;
  }

  /** How many prepared statements the client has made (SHOW SOCKETS). */
  public int statementCount() {
    Map<String, PreparedStatements.Statement> m = statements;
    return m == null ? 0 : m.size();
  }

  /** The server this client is linked to now, or null. */
  public ServerConnection server() {
    return link.server();
  }

  @Override
  public Link link() {
    return link;
  }

  // ---- Login ----

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.channel = ctx.channel();
    this.scanner = new FrameScanner(ctx.alloc(), MAX_INSPECTED, CLIENT_TYPES);
    scanner.budget(ClientMemory.GLOBAL);
    this.outbox = new Outbox(ctx.alloc());
    this.kind = ClientKind.of(channel);
    frontend.clientOpened(kind);
    long timeout = frontend.settings().general().clientLoginTimeout().toNanos();
    if (timeout > 0) {
      // client_login_timeout covers the whole login, password exchange included.
      long left = Math.max(0, timeout - (System.nanoTime() - connectedNanos));
      loginTimeout =
          ctx.executor()
              .schedule(
                  () -> {
                    if (state == ClientState.LOGIN && !closed) {
                      fatal(
                          SqlState.PROTOCOL_VIOLATION,
                          "client_login_timeout (server down or wrong password?)",
                          CloseReason.CLIENT_LOGIN_TIMEOUT);
                    }
                  },
                  left,
                  java.util.concurrent.TimeUnit.NANOSECONDS);
    }
    try {
      startLogin();
    } catch (RuntimeException e) {
      log.error("{}: login failed unexpectedly", this, e);
      fatal(SqlState.INTERNAL_ERROR, "internal error", CloseReason.INTERNAL_ERROR);
    }
  }

  private void startLogin() {
    Settings settings = frontend.settings();
    user = startup.user();
    database = startup.database();
    if (user.isEmpty()) {
      fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "no PostgreSQL user name specified in startup packet",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (!readStartupParameters(settings)) {
      return;
    }
    startupExtras = Map.copyOf(extras);
    if (extras.isEmpty()) {
      extras = null;
    }
    if (!frontend.acceptingClients() && !AdminConsole.isAdminDatabase(database)) {
      // Shutting down: only the admin console (over the Unix socket, still open) is let in.
      fatal(SqlState.CANNOT_CONNECT_NOW, "pooler is shutting down", CloseReason.SHUTDOWN);
      return;
    }
    if (frontend.connectionCount() > settings.general().maxClientConn()) {
      fatal(
          SqlState.TOO_MANY_CONNECTIONS,
          "no more connections allowed (max_client_conn)",
          CloseReason.MAX_CLIENT_CONN);
      return;
    }
    if (replication != ReplicationMode.NONE
        && AdminConsole.isAdminDatabase(database)
        && frontend.adminConsole() != null) {
      fatal(
          SqlState.FEATURE_NOT_SUPPORTED,
          "replication connections to the admin console are not supported",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (AdminConsole.isAdminDatabase(database) && frontend.adminConsole() != null) {
      localAdmin = user.equals("pgbouncer") && LocalPeer.sameUser(channel);
      if (localAdmin) {
        log.info("{}: pgbouncer access from unix socket", this);
        adminLogin = true;
        // Counted in the console's database, never refused: the operator can always get in.
        countClient(null, true, false);
        authenticated();
        return;
      }
      boolean admin = settings.general().adminUsers().contains(user);
      if (!admin && !settings.general().statsUsers().contains(user)) {
        fatal(
            SqlState.INSUFFICIENT_PRIVILEGE,
            "not allowed: " + user + " is in neither admin_users nor stats_users",
            CloseReason.CLIENT_LOGIN_FAILED);
        return;
      }
      adminLogin = true;
      if (!countClient(null, admin, true)) {
        return;
      }
    }
    if (!adminLogin && frontend.isDisabled(database)) {
      fatal(
          SqlState.CANNOT_CONNECT_NOW,
          "database \"" + database + "\" is disabled",
          CloseReason.DATABASE_DISABLED);
      return;
    }
    Optional<DatabaseEntry> db = adminLogin ? Optional.empty() : settings.database(database);
    AuthType type = settings.general().authType();
    if (type == AuthType.HBA) {
      boolean tls = EdgeClient.encrypted(channel);
      java.net.InetAddress from =
          remoteAddress() instanceof java.net.InetSocketAddress a ? a.getAddress() : null;
      Hba hba = frontend.hba();
      Hba.Decision d =
          hba == null
              ? new Hba.Decision(null, 0)
              : hba.decide(database, user, from, tls, replication == ReplicationMode.PHYSICAL);
      if (d.rejected()) {
        fatal(
            SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
            (d.line() > 0 ? "pg_hba.conf rejects connection" : "no pg_hba.conf entry")
                + " for host \"" + (from == null ? "[local]" : from.getHostAddress()) + "\", user \"" + user
                + "\", database \"" + database + "\", " + (tls ? "SSL encryption" : "no encryption"),
            CloseReason.CLIENT_LOGIN_FAILED);
        return;
      }
      type = d.authType();
      hbaDecision = d;
    }
    if (db.isEmpty() && !adminLogin) {
      if (type == AuthType.TRUST || type == AuthType.ANY) {
        unknownDatabase();
        return;
      }
      // As PgBouncer: the client proves who it is first (against a secret nobody knows when the
      // user is unknown too), so that the answer does not tell which databases exist.
      unknownDatabase = true;
      Secret secret = frontend.secret(user);
      authenticate(type, secret, false, secret != null);
      return;
    }
    if (type == AuthType.ANY && !adminLogin && !db.get().forcesUser()) {
      // PgBouncer's rule: any ignores the client's user name, so only the database may say who to
      // be; otherwise anyone could be any user of the auth file (a superuser too) with no password.
      log.error("{}: auth_type=any requires forced user: database \"{}\" has no user=", this,
          dev.breakwater.server.LogText.escape(database));
      fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "auth_type=any requires forced user",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (!adminLogin && !countClient(db.get(), false, true)) {
      return;
    }
    Secret secret = frontend.secret(user);
    AuthType method = type;
    DatabaseEntry entry = db.orElse(null); // null: the admin console
    if (secret == null && type != AuthType.ANY && AuthQuery.configured(settings, entry)) {
      // Not in the auth file: ask PostgreSQL, off this event loop, then carry on here. What the
      // client sends meanwhile (a password sent before it was asked, as Neon's driver does) waits.
      String authDb = AuthQuery.authDatabase(settings, entry);
      if (frontend.isDisabled(authDb)) {
        fatal(
            SqlState.CANNOT_CONNECT_NOW,
            "authentication database \"" + authDb + "\" is disabled",
            CloseReason.DATABASE_DISABLED);
        return;
      }
      heldDuringLookup = new ArrayList<>();
      frontend
          .authQuery()
          .lookup(settings, entry, user, eventLoop())
          .whenComplete(
              (found, error) ->
                  eventLoop()
                      .execute(
                          () -> {
                            List<ByteBuf> held = takeHeld();
                            if (held == null) {
                              return;
                            }
                            if (error != null) {
                              held.forEach(ByteBuf::release);
                              Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
                              log.warn("{}: auth_query failed: {}", this, cause.getMessage());
                              if (cause instanceof AuthQuery.ConfigError
                                  || (cause instanceof dev.breakwater.server.backend.InternalQuery.QueryFailed q
                                      && !q.error().isFatal())) {
                                // auth_dbname, auth_user or auth_query is wrong (the query itself
                                // failed): PgBouncer's words, and the reason only in the log.
                                fatal(
                                    "F0000", // config_file_error
                                    "bouncer config error",
                                    "the authentication query could not run; the pooler's log says why",
                                    CloseReason.CLIENT_LOGIN_FAILED);
                                return;
                              }
                              fatal(
                                  SqlState.CONNECTION_FAILURE,
                                  "authentication query failed: " + cause.getMessage(),
                                  CloseReason.CLIENT_LOGIN_FAILED);
                              return;
                            }
                            // No row: the same exchange and answer as a wrong password (PgBouncer
                            // says "no such user" here, telling who exists).
                            authenticate(method, found == null ? null : found.secret(), true, found != null);
                            for (ByteBuf b : held) {
                              if (closed) {
                                b.release();
                              } else {
                                channelRead(ctx, b);
                              }
                            }
                          }));
      return;
    }
    authenticate(type, secret, false, secret != null);
  }

  private void unknownDatabase() {
    fatal(SqlState.INVALID_CATALOG_NAME, "no such database: " + database, CloseReason.UNKNOWN_DATABASE);
  }

  /**
   * Counts this client in its database ({@code db}, or the admin console's when null) and, when
   * {@code countUser}, in its user, and refuses it when that goes over max_db_client_connections
   * or max_user_client_connections. PgBouncer's rules: the count is taken before the client proves
   * who it is, and admin_users are never refused in the admin console ({@code exempt}). With
   * auth_type=any the user counted is the database's forced user. False when the client was refused.
   */
  private boolean countClient(DatabaseEntry db, boolean exempt, boolean countUser) {
    Settings settings = frontend.settings();
    ClientCounts counts = frontend.clientCounts();
    String dbName = db == null ? Settings.ADMIN_DATABASE : db.name();
    countedDatabase = dbName;
    int dbClients = counts.addDatabase(dbName);
    int dbLimit =
        db != null && db.maxDbClientConnections() != null && db.maxDbClientConnections() > 0
            ? db.maxDbClientConnections()
            : settings.general().maxDbClientConnections();
    if (!exempt && dbLimit > 0 && dbClients > dbLimit) {
      fatal(
          SqlState.TOO_MANY_CONNECTIONS,
          "client connections exceeded (max_db_client_connections)",
          CloseReason.CLIENT_CONNECTION_LIMIT);
      return false;
    }
    if (!countUser) {
      return true;
    }
    String counted =
        db != null && settings.general().authType() == AuthType.ANY && db.forcesUser() ? db.user() : user;
    countedUser = counted;
    int userClients = counts.addUser(counted);
    int userLimit =
        settings
            .user(counted)
            .map(dev.breakwater.server.config.UserEntry::maxUserClientConnections)
            .filter(n -> n > 0)
            .orElse(settings.general().maxUserClientConnections());
    if (!exempt && userLimit > 0 && userClients > userLimit) {
      fatal(
          SqlState.TOO_MANY_CONNECTIONS,
          "client connections exceeded (max_user_client_connections)",
          CloseReason.CLIENT_CONNECTION_LIMIT);
      return false;
    }
    return true;
  }

  /**
   * Checks the client against {@code secret} ({@code known}: the auth file or auth_query knows the
   * user, though maybe with no password).
   */
  private void authenticate(AuthType type, Secret secret, boolean fromAuthQuery, boolean known) {
    this.queriedSecret = fromAuthQuery ? secret : null;
    if (hbaDecision != null && hbaDecision.peer()) {
      loginByPeer(known);
      return;
    }
    if (!known && type == AuthType.TRUST) {
      // The detail is PgBouncer's message, which scripts match on.
      fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "no such user: " + user,
          "\"trust\" authentication failed",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (type == AuthType.CERT) {
      loginByCertificate(known);
      return;
    }
    try {
      authenticator = new ClientAuthenticator(type, user, secret, frontend, EdgeClient.of(channel) != null);
    } catch (IllegalArgumentException e) {
      fatal(SqlState.FEATURE_NOT_SUPPORTED, e.getMessage(), CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (authenticator.trusted()) {
      authenticated();
    } else {
      ByteBuf out = ctx.alloc().buffer();
      authenticator.start(out);
      ctx.writeAndFlush(out);
    }
  }

  /**
   * Sorts the startup parameters: tracked ones are kept to be set on servers, ignored ones
   * dropped, protocol options negotiated. False when the client was refused.
   */
  private boolean readStartupParameters(Settings settings) {
    extras = new HashMap<>();
    List<String> unrecognized = new ArrayList<>();
    SharedStrings shared = frontend.sharedStrings();
    String replicationValue = startup.parameters().get("replication");
    if (replicationValue != null) {
      ReplicationMode mode = ReplicationMode.parse(replicationValue);
      if (mode == null) {
        // PostgreSQL's own refusal of the value.
        fatal(
            SqlState.INVALID_PARAMETER_VALUE,
            "invalid value for parameter \"replication\": \"" + replicationValue + "\"",
            CloseReason.CLIENT_LOGIN_FAILED);
        return false;
      }
      replication = mode;
      if (mode != ReplicationMode.NONE) {
        replicationParameters = new java.util.LinkedHashMap<>();
      }
    }
    for (Map.Entry<String, String> e : startup.parameters().entrySet()) {
      String name = e.getKey();
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("user") || lower.equals("database")) {
        continue;
      }
      if (lower.startsWith("_pq_.")) {
        unrecognized.add(name);
        continue;
      }
      if (name.equals("replication")) {
        continue;
      }
      if (replication != ReplicationMode.NONE) {
        // The client's server is its own for its whole life: its settings go to that server's
        // startup packet as they came (options whole, as PgBouncer passes them, so that any
        // setting works, extra_float_digits from CREATE SUBSCRIPTION too), never through SET,
        // which a physical walsender refuses.
        if (lower.equals("options") || !settings.general().ignoreStartupParameters().contains(lower)) {
          replicationParameters.put(name, e.getValue());
        }
        continue;
      }
      if (settings.general().ignoreStartupParameters().contains(lower) && !lower.equals("options")) {
        continue;
      }
      if (lower.equals("options")) {
        try {
          for (Map.Entry<String, String> o : StartupOptions.parse(e.getValue()).entrySet()) {
            // ignore_startup_parameters applies to -c name=value as well (PgBouncer's rule).
            if (!settings.general().ignoreStartupParameters().contains(o.getKey().toLowerCase(Locale.ROOT))) {
              extras.put(o.getKey(), o.getValue());
            }
          }
        } catch (IllegalArgumentException ex) {
          if (settings.general().ignoreStartupParameters().contains("options")) {
            // PgBouncer's rule: options in ignore_startup_parameters means what cannot be
            // applied is ignored; the settings in it are still applied.
            continue;
          }
          fatal(SqlState.PROTOCOL_VIOLATION, ex.getMessage(), CloseReason.CLIENT_LOGIN_FAILED);
          return false;
        }
        continue;
      }
      // Values such as application_name are the same for many clients: one copy of each.
      String value = shared.share(e.getValue());
      String tracked = ParameterSync.tracked(name);
      if (tracked != null) {
        reported.put(tracked, value);
      } else {
        extras.put(shared.share(lower), value);
      }
    }
    // Settings given both ways: the tracked spelling wins.
    for (String t : ParameterSync.TRACKED) {
      String v = extras.remove(t.toLowerCase(Locale.ROOT));
      if (v != null) {
        reported.putIfAbsent(t, v);
      }
    }
    if (startup.minorVersion() > 0 || !unrecognized.isEmpty()) {
      ByteBuf out = ctx.alloc().buffer();
      BackendMessages.negotiateProtocolVersion(out, 0, unrecognized);
      ctx.write(out);
    }
    return true;
  }

  private void onPasswordMessage(ByteBuf message) {
    if (authenticator == null || authenticated) {
      throw new ProtocolException("unexpected password message");
    }
    ByteBuf out = ctx.alloc().buffer();
    ClientAuthenticator.Step step;
    try {
      step = authenticator.onMessage(message, out);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
    onAuthStep(step, out);
  }

  /**
   * A PBKDF2 runs off the event loop ({@link ClientAuthenticator.Step#PENDING}): what the client
   * sends meanwhile waits, as during an auth_query lookup, and the exchange goes on here after.
   */
  private void awaitPasswordCheck() {
    scanner.pause();
    heldDuringLookup = new ArrayList<>();
    authenticator
        .pending()
        .whenComplete(
            (ignored, error) ->
                eventLoop()
                    .execute(
                        () -> {
                          List<ByteBuf> held = takeHeld();
                          if (held == null) {
                            return;
                          }
                          ByteBuf out = ctx.alloc().buffer();
                          try {
                            onAuthStep(authenticator.resume(out), out);
                          } catch (RuntimeException e) {
                            out.release();
                            held.forEach(ByteBuf::release);
                            log.warn("{}: password check failed: {}", this, e.toString());
                            fatal(
                                e instanceof ProtocolException p ? p.sqlState() : SqlState.INTERNAL_ERROR,
                                e instanceof ProtocolException ? e.getMessage() : "password check failed",
                                CloseReason.CLIENT_LOGIN_FAILED);
                            return;
                          }
                          if (!closed) {
                            deliver();
                          }
                          for (ByteBuf b : held) {
                            if (closed) {
                              b.release();
                            } else {
                              channelRead(ctx, b);
                            }
                          }
                        }));
  }

  private void onAuthStep(ClientAuthenticator.Step step, ByteBuf out) {
    switch (step) {
      case PENDING:
        out.release();
        awaitPasswordCheck();
        break;
      case CONTINUE:
        ctx.writeAndFlush(out);
        break;
      case OK:
        ctx.write(out);
        authenticated();
        break;
      default:
        out.release();
        log.info("{}: password authentication failed{}", this, authenticator.failureDetail());
        // PostgreSQL's words; for SCRAM, PgBouncer's as the detail, which scripts match on.
        fatal(
            SqlState.INVALID_PASSWORD,
            "password authentication failed for user \"" + user + "\"",
            authenticator.sasl() ? "SASL authentication failed" : null,
            CloseReason.CLIENT_LOGIN_FAILED);
    }
  }

  /**
   * auth_type cert: the client's TLS certificate, verified against client_tls_ca_file, must name
   * the user (PgBouncer's rule: its common name or a DNS subject alternative name), and the user
   * must be known, as for any other method.
   */
  /**
   * PostgreSQL's peer method (an auth_hba_file {@code local ... peer} line): the Unix socket
   * client's OS user name must be the user it logs in as, or be mapped to it by the line's {@code
   * map=} in auth_ident_file.
   */
  private void loginByPeer(boolean known) {
    String os = LocalPeer.userName(channel);
    String map = hbaDecision.map();
    IdentMap maps = frontend.identMap();
    String why;
    if (os == null) {
      why = "no OS user name for the peer (not a Unix socket?)";
    } else if (!known && !adminLogin) {
      why = "no such user";
    } else if (map != null && (maps == null || !maps.permits(map, os, user))) {
      why = "ident map " + map + " cannot be matched for OS user \"" + os + "\"";
    } else if (map == null && !os.equals(user)) {
      why = "OS user \"" + os + "\" is not \"" + user + "\"";
    } else {
      authenticated();
      return;
    }
    log.warn("{}: peer authentication failed: {}", this, dev.breakwater.server.LogText.escape(why));
    fatal(
        SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
        "Peer authentication failed for user \"" + user + "\"",
        CloseReason.CLIENT_LOGIN_FAILED);
  }

  private void loginByCertificate(boolean known) {
    io.netty.handler.ssl.SslHandler ssl = channel.pipeline().get(io.netty.handler.ssl.SslHandler.class);
    String why;
    if (ssl == null) {
      why = "TLS connection required";
    } else {
      java.security.cert.Certificate[] chain;
      try {
        chain = ssl.engine().getSession().getPeerCertificates();
      } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
        chain = null;
      }
      if (chain == null || chain.length == 0 || !(chain[0] instanceof java.security.cert.X509Certificate cert)) {
        why = "TLS client certificate required";
      } else if (!known && !adminLogin) {
        why = "no such user";
      } else if (!certificateMatches(cert)) {
        why = hbaDecision != null && hbaDecision.map() != null
            ? "ident map " + hbaDecision.map() + " does not have a match"
            : "TLS certificate name mismatch";
      } else {
        authenticated();
        return;
      }
    }
    log.warn("{}: certificate authentication failed: {}", this, why);
    fatal(
        SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
        "certificate authentication failed",
        CloseReason.CLIENT_LOGIN_FAILED);
  }

  /** The certificate names the user, or (an hba line's map=) a name the map allows as the user. */
  private boolean certificateMatches(java.security.cert.X509Certificate cert) {
    String map = hbaDecision == null ? null : hbaDecision.map();
    if (map == null) {
      return dev.breakwater.server.tls.Tls.certificateNames(cert, user);
    }
    IdentMap maps = frontend.identMap();
    if (maps == null) {
      return false;
    }
    for (String name : dev.breakwater.server.tls.Tls.namesOf(cert)) {
      if (maps.permits(map, name, user)) {
        return true;
      }
    }
    return false;
  }

  private void authenticated() {
    authenticated = true;
    if (adminLogin) {
      AdminConsole console = frontend.adminConsole();
      boolean admin = localAdmin || frontend.settings().general().adminUsers().contains(user);
      finishLogin(console.parameters());
      adminSession = console.open(this, admin);
      for (byte t : ADMIN_TYPES) {
        scanner.inspect(t, true);
      }
      return;
    }
    if (unknownDatabase) {
      unknownDatabase();
      return;
    }
    Settings settings = frontend.settings();
    DatabaseEntry db = settings.database(database).orElse(null);
    if (db == null) {
      // Removed by a reload during the login.
      unknownDatabase();
      return;
    }
    PoolSettings resolved = PoolSettings.resolve(settings, db, user);
    PoolKey key = new PoolKey(db.name(), resolved.serverUser());
    pool = frontend.pools().hold(key, () -> resolved);
    // One copy of the names for all the pool's clients, not one per client.
    if (database.equals(key.database())) {
      database = key.database();
    }
    if (user.equals(key.user())) {
      user = key.user();
    }
    // What this login taught the pooler about the client's user serves the pool's servers only
    // when they log in as that user: with a database that forces user=, clients of other users
    // share the pool, and their keys would make its next server log in with the wrong ones.
    if (user.equals(key.user())) {
      if (authenticator != null && authenticator.recoveredKeys() != null) {
        pool.passThroughKeys(authenticator.recoveredKeys());
      }
      if (queriedSecret != null) {
        pool.queriedSecret(queriedSecret);
      }
    }
    pool.addClient(this);
    pool.unhold();
    if (replication != ReplicationMode.NONE) {
      // Its own server, opened now with the replication parameter: the login finishes with that
      // server's parameters once it has logged in (replicationLinked), or fails with its error.
      pool.acquireReplication(this);
      return;
    }
    Map<String, String> welcome = pool.welcomeParameters();
    if (welcome != null) {
      finishLogin(welcome);
    } else {
      // No server has logged in yet: borrow one to learn the server's parameters.
      pool.acquire(this);
    }
  }

  /** Called by a server lent for the login: the parameters to tell the client. */
  public void welcome(Map<String, String> serverParameters) {
    eventLoop().execute(() -> {
      if (!closed && state == ClientState.LOGIN) {
        finishLogin(serverParameters);
      }
    });
  }

  /**
   * A replication client's own server logged in and is linked (see {@link #link}): the client's
   * login ends with that server's parameters: at once on the client's loop (where its server
   * runs), so that nothing the server sends next can reach the client ahead of it. From any thread.
   */
  public void replicationLinked(Map<String, String> serverParameters) {
    Runnable finish = () -> {
      if (!closed && authenticated && adminSession == null && startup != null) {
        finishLogin(serverParameters);
      }
    };
    if (eventLoop().inEventLoop()) {
      finish.run();
    } else {
      eventLoop().execute(finish);
    }
  }

  /**
   * A replication client's server is gone: the client is closed once what the server sent has
   * been written, with {@code error} after it when that is given. From any thread.
   */
  public void relayEnded(ErrorFields error) {
    eventLoop().execute(() -> {
      if (closed) {
        return;
      }
      if (error != null) {
        sendAndClose(error, CloseReason.LINKED_SERVER_LOST);
      } else {
        ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        closeNow(CloseReason.LINKED_SERVER_LOST, false);
      }
    });
  }

  private void finishLogin(Map<String, String> serverParameters) {
    if (loginTimeout != null) {
      loginTimeout.cancel(false);
      loginTimeout = null;
    }
    reported.base(serverParameters);
    startup = null;
    authenticator = null;
    cancelKey = frontend.cancelKeys().register(this);
    ByteBuf out = ctx.alloc().buffer();
    BackendMessages.authenticationOk(out);
    reported.writeStatus(out);
    BackendMessages.backendKeyData(out, (int) (cancelKey >>> 32), (int) cancelKey);
    BackendMessages.readyForQuery(out, TransactionStatus.IDLE);
    ctx.writeAndFlush(out);
    boolean work;
    synchronized (link) { // the state changes with the link
      if (replication != ReplicationMode.NONE && link.server() != null) {
        work = false; // a replication client's own server, linked at its login
        state = ClientState.ACTIVE;
      } else {
        state = ClientState.IDLE;
        work = link.hasWork();
        if (work) {
          state = ClientState.WAITING;
        }
      }
    }
    log.debug("{}: login ok", this);
    frontend.events().clientLoggedIn(this);
    if (work && pool != null) {
      pool.acquire(this);
    }
  }

  // ---- Reading from the client ----

  /** Bytes read while auth_query looks the user up, or a password check runs, or null. */
  private List<ByteBuf> heldDuringLookup;

  /**
   * The bytes held while a lookup or a password check ran, for replay once it has answered; null
   * (and the bytes released) when the client closed meanwhile.
   */
  private List<ByteBuf> takeHeld() {
    List<ByteBuf> held = heldDuringLookup != null ? heldDuringLookup : List.of();
    heldDuringLookup = null;
    if (closed) {
      held.forEach(ByteBuf::release);
      return null;
    }
    return held;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (heldDuringLookup != null) {
      heldDuringLookup.add((ByteBuf) msg);
      return;
    }
    ByteBuf in = (ByteBuf) msg;
    readReplies = 0;
    lastActivityNanos = System.nanoTime();
    try {
      if (!scanner.scan(in, this) && heldDuringLookup != null && in.isReadable()) {
        // Paused for a password check: the rest waits for it.
        heldDuringLookup.add(in.readRetainedSlice(in.readableBytes()));
      }
    } catch (ProtocolException e) {
      outbox.clear();
      log.warn("{}: protocol violation: {}", this, dev.breakwater.server.LogText.escape(e.getMessage()));
      fatal(e.sqlState(), e.getMessage(), CloseReason.CLIENT_PROTOCOL_VIOLATION);
      return;
    } finally {
      in.release();
    }
    if (closed) {
      // Closed by a message of this read: the scan went on past it and may hold part of the next.
      scanner.release();
      outbox.clear();
      return;
    }
    deliver();
    if (terminated) {
      close(CloseReason.CLIENT_TERMINATE);
    }
  }

  @Override
  public boolean onMessage(byte type, ByteBuf message) {
    if (type == MessageType.TERMINATE) {
      terminated = true;
      return false;
    }
    if (type == MessageType.PASSWORD && !authenticated) {
      onPasswordMessage(message);
      return false;
    }
    if (adminSession != null) {
      adminSession.onMessage(type, message);
      return false;
    }
    onForwardedHeader(type, message.readableBytes() - 1);
    return true;
  }

  @Override
  public void onForwardedHeader(byte type, int length) {
    if (adminSession != null) {
      throw new ProtocolException(
          "unexpected message type " + MessageType.describe(type) + " in the admin console");
    }
    if (!authenticated) {
      throw new ProtocolException(
          "expected password response, got message type " + MessageType.describe(type));
    }
    if (type == MessageType.QUERY || type == MessageType.SYNC || type == MessageType.FUNCTION_CALL) {
      readReplies++;
      unsyncedRead = false;
    } else if (type == MessageType.PARSE
        || type == MessageType.BIND
        || type == MessageType.EXECUTE
        || type == MessageType.DESCRIBE
        || type == MessageType.CLOSE
        || type == MessageType.FLUSH) {
      unsyncedRead = true;
    }
  }

  @Override
  public void onForward(ByteBuf bytes) {
    if (closed || terminated) {
      bytes.release();
      return;
    }
    outbox.add(bytes);
  }

  /** Hands what was read to the linked server, or keeps it and asks the pool for a server. */
  private void deliver() {
    ByteBuf batch = outbox.take();
    if (batch == null && readReplies == 0) {
      return;
    }
    switch (link.deliver(batch, readReplies, scanner.midForwardedMessage(), unsyncedRead)) {
      case OVER_BUDGET -> {
        log.warn("{}: closing because the pooler holds {} bytes for clients, its limit {} reached",
            this, ClientMemory.GLOBAL.used(), ClientMemory.GLOBAL.limit());
        fatal(SqlState.PROGRAM_LIMIT_EXCEEDED,
            "out of memory: the pooler holds more than its limit of " + ClientMemory.GLOBAL.limit()
                + " bytes for clients' messages",
            CloseReason.CLIENT_MEMORY);
      }
      case KEPT -> stopIfFull();
      case KEPT_ASK_POOL -> {
        stopIfFull();
        pool.acquire(this);
      }
      default -> { }
    }
  }

  private void stopIfFull() {
    if (link.full()) {
      channel.config().setAutoRead(false);
    }
  }

  // ---- The link, called by its Link holding the link's monitor ----

  @Override
  public void linked() {
    state = ClientState.ACTIVE;
  }

  @Override
  public void unlinked() {
    if (!closed) {
      state = ClientState.IDLE;
    }
  }

  @Override
  public boolean startWaiting() {
    if (state == ClientState.IDLE) {
      state = ClientState.WAITING;
      return true;
    }
    return false;
  }

  /** The link is made: the wait is over; read again if reading was paused while waiting. */
  @Override
  public void onLinked() {
    waitStartedNanos = 0;
    resumeReading();
  }

  /** Stops reading from the client until its server has drained what it was sent. */
  public void pauseReading() {
    channel.config().setAutoRead(false);
  }

  /** Resumes reading from the client (backpressure released). */
  public void resumeReading() {
    if (!closed) {
      channel.config().setAutoRead(true);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ServerConnection s = link.server();
    if (ctx.channel().isWritable()) {
      if (s != null) {
        s.resumeReading();
      } else {
        flushNotifications(); // those that waited for the channel to drain
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** Cancels what this client's server runs now, if anything. */
  public void cancelRunningQuery() {
    // Read under the lock that guards it: a cancel request comes on another connection's loop,
    // and an unsynchronized read could miss the link just made (the cancel lost) or see one
    // undone. The server checks on its own loop that it is still this client's (cancelFor).
    ServerConnection s = link.linkedServer();
    if (s != null) {
      log.debug("{}: forwarding cancel request to {}", this, s);
      s.cancelFor(link);
    }
  }

  // ---- Errors and closing ----

  /** The wait the client was last told about (its start), so that it is told once per wait. */
  private long notifiedWait;

  @Override
  public void waitingLong(String database) {
    long wait = waitStartedNanos;
    if (wait == 0 || wait == notifiedWait) {
      return;
    }
    notifiedWait = wait;
    eventLoop().execute(() -> {
      if (!closed && state == ClientState.WAITING && waitStartedNanos == wait) {
        ByteBuf out = channel.alloc().buffer(128);
        BackendMessages.notice(out, "NOTICE", SqlState.SUCCESSFUL_COMPLETION,
            "No server connection available in " + database + " backend, client being queued");
        channel.writeAndFlush(out);
      }
    });
  }

  /** The client waited in vain: the pool could not give it a server. From any thread. */
  @Override
  public void failWaiting(ErrorFields error, CloseReason reason) {
    closeWithError(error, reason);
  }

  /**
   * Sends this client {@code error} and closes it. From any thread; the future completes once it
   * is done, on the client's loop (at once if the client was already closed).
   */
  public CompletableFuture<Void> closeWithError(ErrorFields error, CloseReason reason) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (eventLoop().isShuttingDown()) {
      // The loop went first (an edge client's, when the HTTP listener stopped before the pools):
      // its channel is closed with it; nothing is left to send.
      done.complete(null);
      return done;
    }
    try {
      eventLoop().execute(() -> closeWithErrorHere(error, reason, done));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      done.complete(null); // as above, the loop stopped meanwhile
    }
    return done;
  }

  private void closeWithErrorHere(ErrorFields error, CloseReason reason, CompletableFuture<Void> done) {
    if (!closed) {
      if (frontend.settings().general().logPoolerErrors()) {
        log.warn("{}: closing because: {} ({})", this, dev.breakwater.server.LogText.escape(error.message()),
            reason.description());
      }
      sendAndClose(error, reason);
    }
    done.complete(null);
  }

  /** The linked server went away. From any thread. */
  public void serverLost(ServerConnection s, CloseReason reason, ErrorFields error) {
    eventLoop().execute(() -> {
      if (closed) {
        return;
      }
      if (reason == CloseReason.SERVER_FATAL) {
        log.info("{}: server {} ended the session", this, s);
        close(CloseReason.LINKED_SERVER_LOST);
        return;
      }
      ErrorFields e =
          error != null
              ? error
              : ErrorFields.of("FATAL", SqlState.CONNECTION_FAILURE, "server conn crashed?");
      log.warn("{}: closing because its server {} closed: {}", this, s, reason.description());
      sendAndClose(e, CloseReason.LINKED_SERVER_LOST);
    });
  }

  /** Statement mode: the client opened a transaction. From the server's loop. */
  public void refuseTransaction() {
    eventLoop().execute(() -> {
      if (closed) {
        return;
      }
      log.warn("{}: closing because: transaction blocks not allowed in statement pooling mode", this);
      sendAndClose(
          ErrorFields.of(
              "FATAL",
              SqlState.FEATURE_NOT_SUPPORTED,
              "transaction blocks not allowed in statement pooling mode"),
          CloseReason.TRANSACTION_IN_STATEMENT_MODE);
    });
  }

  private void fatal(String sqlState, String message, CloseReason reason) {
    fatal(sqlState, message, null, reason);
  }

  private void fatal(String sqlState, String message, String detail, CloseReason reason) {
    if (frontend.settings().general().logPoolerErrors()) {
      // The message may quote what the client sent (a database name, an option).
      log.warn("{}: closing because: {} ({})", this, dev.breakwater.server.LogText.escape(message), reason.description());
    }
    ErrorFields error = ErrorFields.of("FATAL", sqlState, message);
    if (detail != null) {
      Map<Character, String> f = new java.util.LinkedHashMap<>(error.fields());
      f.put(ErrorFields.DETAIL, detail);
      error = new ErrorFields(f);
    }
    sendAndClose(error, reason);
  }

  private void sendAndClose(ErrorFields error, CloseReason reason) {
    ByteBuf out = ctx.alloc().buffer();
    error.encode(out, MessageType.ERROR_RESPONSE);
    ctx.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    closeNow(reason, false);
  }

  /** Closes this client, from its own loop. */
  public void close(CloseReason reason) {
    closeNow(reason, true);
  }

  private void closeNow(CloseReason reason, boolean closeChannel) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (notifications != null) {
        for (ByteBuf m : notifications) {
          m.release();
        }
        notifications.clear();
        notificationBytes = 0;
      }
    }
    ServerConnection s = link.clientGone();
    boolean duringLogin = state == ClientState.LOGIN;
    state = ClientState.CLOSED;
    if (loginTimeout != null) {
      loginTimeout.cancel(false);
    }
    frontend.clientClosed(kind);
    if (countedDatabase != null) {
      frontend.clientCounts().removeDatabase(countedDatabase);
    }
    if (countedUser != null) {
      frontend.clientCounts().removeUser(countedUser);
    }
    frontend.events().clientClosed(this, reason, duringLogin);
    if (cancelKey != 0) {
      frontend.cancelKeys().unregister(cancelKey);
    }
    if (pool != null) {
      pool.removeClient(this);
    }
    dev.breakwater.server.backend.Listener l = listener;
    if (l != null) {
      l.unlistenAll(this);
    }
    if (s != null) {
      s.eventLoop().execute(() -> s.onClientClosed(link));
    }
    if (reason != CloseReason.CLIENT_TERMINATE && reason != CloseReason.CLIENT_CLOSED) {
      log.debug("{}: closed: {}", this, reason.description());
    }
    scanner.release();
    outbox.clear();
    if (heldDuringLookup != null) {
      heldDuringLookup.forEach(ByteBuf::release);
      heldDuringLookup = null;
    }
    if (closeChannel) {
      channel.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    close(CloseReason.CLIENT_CLOSED);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.info("{}: I/O error: {}", this, cause.toString());
    close(CloseReason.CLIENT_IO_ERROR);
    ctx.close();
  }

  @Override
  public String toString() {
    // Names come from the client's startup packet: escaped, so that none can forge a log line.
    return "C-" + id + " " + dev.breakwater.server.LogText.escape(database) + "/"
        + dev.breakwater.server.LogText.escape(user) + "@" + (channel == null ? "?" : remoteAddress());
  }
}
