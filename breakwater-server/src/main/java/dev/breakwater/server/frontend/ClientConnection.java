package dev.breakwater.server.frontend;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.backend.Link;
import dev.breakwater.server.backend.PreparedStatements;
import dev.breakwater.server.backend.ReplicationMode;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.net.SocketAddress;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: what pools, servers and views see of it (its names and state, its
 * parameters, notifications and prepared statement names, the callbacks of its server and pool),
 * and its closing. Made by its login ({@link ClientLogin}) at the start; once the login hands it
 * the channel, its session ({@link ClientSession}, its base) reads what the client sends.
 *
 * <p>Runs on the client's event loop. Its use of a server (the server itself, and the bytes and
 * replies pending while there is none) is its {@link Link}'s, which says what guards it. This
 * object's monitor guards the notifications that wait for it; nothing that blocks or does I/O on
 * another connection is done while holding it, except queueing a write.
 */
public final class ClientConnection extends ClientSession {

  private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
  private static final AtomicLong IDS = new AtomicLong();
  private final long id = IDS.incrementAndGet();
  private final Frontend frontend;
  private final long connectedNanos;

  private final Channel channel;
  /** How the client came (TCP, Unix socket, POST /sql, WebSocket). */
  private final ClientKind kind;

  private volatile ClientState state = ClientState.LOGIN;
  private String database;
  private String user;
  private Pool pool;
  /** The replication startup parameter: NONE for an ordinary client. */
  private ReplicationMode replication = ReplicationMode.NONE;
  /** A replication client's startup parameters, for its own server, as they came. */
  private Map<String, String> replicationParameters = Map.of();
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
  /** Its LISTEN side, made at its first LISTEN: most clients never listen. */
  private volatile ClientNotifications notifications;
  /** The client's prepared statement names: touched only by the linked server's loop. */
  private Map<String, PreparedStatements.Statement> statements; // made on first use

  /** The client's use of a server: one for its life. */
  private final Link link = new Link(this);
  private volatile boolean closed;

  private volatile long waitStartedNanos;

  /** A client logging in, named as its startup packet names it. */
  ClientConnection(Frontend frontend, Channel channel, long connectedNanos, String database, String user) {
    this.frontend = frontend;
    this.channel = channel;
    this.kind = ClientKind.of(channel);
    this.connectedNanos = connectedNanos;
    this.database = database;
    this.user = user;
  }

  // ---- Accessors used by pools, servers and views ----

  Frontend frontend() {
    return frontend;
  }

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

  @Override
  public boolean isClosed() {
    return closed;
  }

  public boolean isLoggingIn() {
    return state == ClientState.LOGIN;
  }

  @Override
  public boolean isIdle() {
    return state == ClientState.IDLE;
  }

  public String database() {
    return database;
  }

  public String user() {
    return user;
  }

  /** Whether this is a walsender client (replication startup parameter), and which kind. */
  @Override
  public ReplicationMode replication() {
    return replication;
  }

  /** All but user, database, replication, protocol options, ignore_startup_parameters; as sent. */
  @Override
  public Map<String, String> replicationParameters() {
    return replicationParameters;
  }

  /** Null for the admin console, or while logging in. */
  @Override
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

  public void waitStartedNanos(long now) {
    waitStartedNanos = now;
  }

  @Override
  public Map<String, String> reportedParameters() {
    return reported;
  }

  @Override
  public Map<String, String> extraParameters() {
    if (extras == null) {
      extras = new HashMap<>();
    }
    return extras;
  }

  /** The same map for every client of the pool, so a server tells at once that it agrees. */
  @Override
  public Map<String, String> parameterBaseWithoutExtras() {
    return extras == null || extras.isEmpty() ? reported.baseOrNull() : null;
  }

  /** A map never changed once returned (a change replaces it). */
  @Override
  public Map<String, String> ownParameters() {
    return reported.own();
  }

  @Override
  public Map<String, String> startupExtras() {
    return startupExtras;
  }

  @Override
  public java.util.Set<String> listening() {
    return notifications().listening();
  }

  @Override
  public void listener(dev.breakwater.server.backend.Listener l) {
    notifications().listener(l);
  }

  /** See {@link ClientNotifications}. */
  @Override
  public void deliverNotification(ByteBuf message) {
    notifications().deliver(message);
  }

  /** Also when the channel drained. */
  @Override
  public void flushNotifications() {
    ClientNotifications n = notifications;
    if (n != null) {
      n.flush();
    }
  }

  private ClientNotifications notifications() {
    ClientNotifications n = notifications;
    if (n == null) {
      synchronized (this) {
        if (notifications == null) {
          notifications = new ClientNotifications(this);
        }
        n = notifications;
      }
    }
    return n;
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

  // ---- From the login ----

  /** The startup packet's settings, and whether this is a replication client. */
  void startupParameters(StartupParameters sorted) {
    replication = sorted.replication();
    replicationParameters = sorted.replicationParameters();
    sorted.reported().forEach(reported::put);
    Map<String, String> fromStartup = sorted.extras();
    startupExtras = Map.copyOf(fromStartup);
    extras = fromStartup.isEmpty() ? null : fromStartup;
  }

  /** The database and user this client is counted in (user null: not counted in one). */
  void countedIn(String database, String user) {
    countedDatabase = database;
    countedUser = user;
  }

  /** The client authenticated and uses {@code pool}, of {@code key}. */
  void joined(Pool pool, PoolKey key) {
    this.pool = pool;
    // One copy of the names for all the pool's clients, not one per client.
    if (database.equals(key.database())) {
      database = key.database();
    }
    if (user.equals(key.user())) {
      user = key.user();
    }
  }

  @Override
  public void welcome(Map<String, String> serverParameters) {
    ClientLogin.welcome(channel, serverParameters);
  }

  @Override
  public void replicationLinked(Map<String, String> serverParameters) {
    ClientLogin.replicationLinked(channel, serverParameters);
  }

  /**
   * The login is over: the client is told so with {@code serverParameters}, its cancel key and
   * ReadyForQuery. With a {@code console}, its messages go to an admin console session ({@code
   * admin} false: SHOW commands only).
   */
  void loggedIn(Map<String, String> serverParameters, AdminConsole console, boolean admin) {
    reported.base(serverParameters);
    cancelKey = frontend.cancelKeys().register(this);
    ByteBuf out = channel.alloc().buffer();
    BackendMessages.authenticationOk(out);
    reported.writeStatus(out);
    BackendMessages.backendKeyData(out, (int) (cancelKey >>> 32), (int) cancelKey);
    BackendMessages.readyForQuery(out, TransactionStatus.IDLE);
    writeAndFlush(out);
    synchronized (link) { // the state changes with the link
      // A replication client's own server is linked at its login.
      state = replication != ReplicationMode.NONE && link.server() != null ? ClientState.ACTIVE : ClientState.IDLE;
    }
    log.debug("{}: login ok", this);
    frontend.events().clientLoggedIn(this);
    if (console != null) {
      console(console.open(this, admin));
    }
  }

  // ---- The link, called by its Link holding the link's monitor ----

  @Override
  public void linked() {
    // A replication client's server is linked during its login: it stays LOGIN until loggedIn.
    if (state != ClientState.LOGIN) {
      state = ClientState.ACTIVE;
    }
  }

  @Override
  public void unlinked() {
    if (!closed && state != ClientState.LOGIN) {
      state = ClientState.IDLE;
    }
  }

  @Override
  public boolean startWaiting() {
    // A replication client has its own server or none: never a pooled one (its server gone, what
    // it sends meanwhile waits for its close).
    if (state == ClientState.IDLE && replication == ReplicationMode.NONE) {
      state = ClientState.WAITING;
      return true;
    }
    return false;
  }

  /** The wait is over too. */
  @Override
  public void onLinked() {
    waitStartedNanos = 0;
    resumeReading();
  }

  /** Cancels what this client's server runs now, if anything. */
  public void cancelRunningQuery() {
    // A cancel request comes on another connection's loop: the link's server is volatile, so a
    // link just made is seen. The server checks on its own loop that it is still this client's
    // (cancelFor).
    ServerConnection s = link.server();
    if (s != null) {
      log.debug("{}: forwarding cancel request to {}", this, s);
      s.cancelFor(link);
    }
  }

  // ---- Errors and closing (the errors: ClientErrors) ----

  /** The wait the client was last told about (its start), so that it is told once per wait. */
  private long notifiedWait;

  @Override
  public void waitingLong(String database) {
    long wait = waitStartedNanos;
    if (wait != 0 && wait != notifiedWait) {
      notifiedWait = wait;
      ClientErrors.waitingLong(this, database, wait);
    }
  }

  /** The client waited in vain: the pool could not give it a server. From any thread. */
  @Override
  public void failWaiting(ErrorFields error, CloseReason reason) {
    closeWithError(error, reason);
  }

  @Override
  public CompletableFuture<Void> closeWithError(ErrorFields error, CloseReason reason) {
    return ClientErrors.closeWithError(this, error, reason);
  }

  @Override
  public void serverLost(ServerConnection s, CloseReason reason, ErrorFields error) {
    ClientErrors.serverLost(this, s, reason, error);
  }

  @Override
  public void serverLostMidMessage(ServerConnection s, CloseReason reason) {
    ClientErrors.serverLostMidMessage(this, s, reason);
  }

  @Override
  public void relayEnded(ErrorFields error) {
    ClientErrors.relayEnded(this, error);
  }

  @Override
  public void refuseTransaction() {
    ClientErrors.refuseTransaction(this);
  }

  @Override
  void fatal(String sqlState, String message, CloseReason reason) {
    ClientErrors.fatal(this, sqlState, message, null, reason);
  }

  /** Sends this client a FATAL error and closes it (its login, or its session). */
  void fatal(String sqlState, String message, String detail, CloseReason reason) {
    ClientErrors.fatal(this, sqlState, message, detail, reason);
  }

  @Override
  public void close(CloseReason reason) {
    closeNow(reason, true);
  }

  /** Closes this client; {@code closeChannel} false when a write's listener closes its channel. */
  void closeNow(CloseReason reason, boolean closeChannel) {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (notifications != null) {
        notifications.clear();
      }
    }
    ServerConnection s = link.clientGone();
    boolean duringLogin = state == ClientState.LOGIN;
    state = ClientState.CLOSED;
    frontend.clientClosed(kind);
    frontend.clientCounts().remove(countedDatabase, countedUser);
    frontend.events().clientClosed(this, reason, duringLogin);
    if (cancelKey != 0) {
      frontend.cancelKeys().unregister(cancelKey);
    }
    if (pool != null) {
      pool.removeClient(this);
    }
    dev.breakwater.server.backend.Listener l = notifications == null ? null : notifications.listener();
    if (l != null) {
      l.unlistenAll(this);
    }
    if (s != null) {
      s.eventLoop().execute(() -> s.onClientClosed(link));
    }
    if (reason != CloseReason.CLIENT_TERMINATE && reason != CloseReason.CLIENT_CLOSED) {
      log.debug("{}: closed: {}", this, reason.description());
    }
    readingClosed();
    if (closeChannel) {
      channel.close();
    }
  }

  @Override
  public String toString() {
    // Names come from the client's startup packet: escaped, so that none can forge a log line.
    return "C-" + id + " " + dev.breakwater.server.LogText.escape(database) + "/"
        + dev.breakwater.server.LogText.escape(user) + "@" + (channel == null ? "?" : remoteAddress());
  }
}
