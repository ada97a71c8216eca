package dev.breakwater.server.backend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolSettings;
import dev.breakwater.server.pool.PooledServer;
import dev.breakwater.server.pool.ServerState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to PostgreSQL: it connects, logs in, then carries clients' work. It is the
 * channel handler, holds the server's state, and wires its parts: {@link Requests} (a client lent,
 * linked, its bytes written, its leaving), {@link Replies} (PostgreSQL's replies to the client, and
 * the release at ReadyForQuery), {@link OwnQueries} (Breakwater's own queries), {@link Cancels} and
 * {@link Relay} (a replication client's server).
 *
 * <p>Everything here runs on the connection's own event loop, except {@link #assign}, which the pool
 * calls under its lock and which hands the real work to that loop. What a linked client shares with
 * its server (replies due, bytes in flight, where its messages stand) is its {@link Link}'s, which
 * makes the release decision at ReadyForQuery and guards that state with its monitor, so that a
 * client's writes and that decision never cross. This connection holds at most one link.
 */
public final class ServerConnection extends ChannelInboundHandlerAdapter implements PooledServer {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);
  private static final AtomicLong IDS = new AtomicLong();
  static final int MAX_INSPECTED = 1 << 20;
  /** The server's messages read once logged in (everything else is forwarded unread). */
  public static final byte[] SERVER_TYPES = {
    MessageType.BACKEND_KEY_DATA,
    MessageType.PARAMETER_STATUS,
    MessageType.READY_FOR_QUERY,
    MessageType.ERROR_RESPONSE,
    MessageType.NOTIFICATION_RESPONSE,
    MessageType.NEGOTIATE_PROTOCOL_VERSION
  };

  /** The client's requests read on their way to the server, to map prepared statement names. */
  public static final byte[] CLIENT_TYPES = {
    MessageType.PARSE, MessageType.BIND, MessageType.DESCRIBE, MessageType.CLOSE, MessageType.QUERY
  };

  /** The server's replies read as well while replies are split (see updateSplitting). */
  public static final byte[] SPLIT_TYPES = {
    MessageType.PARSE_COMPLETE,
    MessageType.BIND_COMPLETE,
    MessageType.CLOSE_COMPLETE,
    MessageType.COMMAND_COMPLETE,
    MessageType.EMPTY_QUERY_RESPONSE,
    MessageType.PORTAL_SUSPENDED,
    MessageType.NO_DATA,
    MessageType.ROW_DESCRIPTION,
    MessageType.PARAMETER_DESCRIPTION
  };

  final long id = IDS.incrementAndGet();
  final Backend backend;
  final Pool pool;
  final EventLoop loop;
  private final long createdNanos = System.nanoTime();
  final int generation;
  /** Set on a pool's listening connection (LISTEN without pinning), null on pooled servers. */
  final Listener listenerRole;
  /**
   * The replication client this server was opened for, or null for a pooled server. Such a server
   * carries the client's replication parameter and settings in its startup packet, is linked to
   * that client at login and to no other, relays every byte both ways unread (no parameter sync,
   * state check, reset or statement mapping: a physical walsender takes replication commands
   * only), and closes with its client.
   */
  final LinkedClient replicationFor;
  final SessionTracker tracker = new SessionTracker();
  /** Whether a client has used this server: server_lifetime 0 closes it after one use. */
  volatile boolean used;

  /**
   * Set on this connection's loop when the channel registers (and by {@link #connect} on the
   * thread that opens it): volatile, because that thread may run late, after the login ended.
   */
  volatile Channel channel;
  /** The host of the entry's list this server connects to; set by {@link #connect}. */
  volatile String host;
  FrameScanner scanner;
  Outbox outbox;
  ScheduledFuture<?> loginDeadline;

  /**
   * Moved by its pool, under the pool's lock, as the server goes from list to list ({@code
   * ServerLists.move}); set here only to CLOSED (final: never moved from) and, for a pool's
   * listening connection, which is in no list, to ACTIVE.
   */
  final java.util.concurrent.atomic.AtomicReference<ServerState> stateRef =
      new java.util.concurrent.atomic.AtomicReference<>(ServerState.LOGIN);
  /** When the server last went TESTED (connect_query or the reset query began). */
  volatile long testedSinceNanos;
  private boolean loginDone;
  volatile CloseReason closingReason;
  /**
   * A FATAL error that answered one of Breakwater's own queries: the linked client never saw it,
   * so the close sends it (a FATAL the client saw closes it without another).
   */
  ErrorFields unseenFatal;
  volatile long idleSinceNanos = System.nanoTime();

  TransactionStatus transactionStatus = TransactionStatus.IDLE;
  final ServerParameters parameters = new ServerParameters();
  int backendPid;
  int backendSecret;

  /** Client to server: statement names rewritten, requests queued to match their replies. */
  StatementMapper mapper;

  /** When the running query and transaction began (0: none): stats and timeouts. */
  volatile long queryStartNanos;
  volatile long transactionStartNanos;

  /** The link of the client this server carries now, or null (see {@link Link}). */
  volatile Link link;

  // Its parts, each on this connection's loop.
  final Requests requests = new Requests(this);
  final Replies replies = new Replies(this);
  final OwnQueries own = new OwnQueries(this);
  final Cancels cancels = new Cancels(this);
  final Relay relay = new Relay(this);

  ServerConnection(Backend backend, Pool pool, EventLoop loop) {
    this(backend, pool, loop, null);
  }

  /** A pool's listening connection when {@code listener} is set; otherwise a pooled server. */
  ServerConnection(Backend backend, Pool pool, EventLoop loop, Listener listener) {
    this(backend, pool, loop, listener, null);
  }

  /** The replication server of {@code replicationFor} when that is set. */
  ServerConnection(
      Backend backend, Pool pool, EventLoop loop, Listener listener, LinkedClient replicationFor) {
    this.backend = backend;
    this.pool = pool;
    this.loop = loop;
    this.generation = pool.generation();
    this.listenerRole = listener;
    this.replicationFor = replicationFor;
  }

  /** True for a replication client's own server (see {@link #replicationFor}). */
  public boolean isReplication() {
    return replicationFor != null;
  }

  /** The replication mode this server was opened with. */
  public ReplicationMode replication() {
    return replicationFor == null
        ? ReplicationMode.NONE
        : replicationFor.replication();
  }

  /** The pool's generation when this server was made: older ones are replaced (RECONNECT). */
  public int generation() {
    return generation;
  }

  public boolean wasUsed() {
    return used;
  }

  public long id() {
    return id;
  }

  public Pool pool() {
    return pool;
  }

  public EventLoop eventLoop() {
    return loop;
  }

  /** When connect_query or the reset query began, for a server that is TESTED. */
  public long testedSinceNanos() {
    return testedSinceNanos;
  }

  public ServerState state() {
    return stateRef.get();
  }

  /**
   * Called by the pool, under its lock, from its transition function only: the server is now on
   * the pool's list for {@code to}. A closed server stays closed.
   */
  public void moveTo(ServerState to) {
    ServerState now;
    do {
      now = stateRef.get();
      if (now == ServerState.CLOSED) {
        return;
      }
    } while (!stateRef.compareAndSet(now, to));
  }

  public long createdNanos() {
    return createdNanos;
  }

  public long idleSinceNanos() {
    return idleSinceNanos;
  }

  /** The client linked now, or null. */
  public LinkedClient client() {
    Link l = link;
    return l == null ? null : l.client();
  }

  public int backendPid() {
    return backendPid;
  }

  /** Prepared statements on this server now, for SHOW SERVERS (read from any thread). */
  public int preparedStatementCount() {
    StatementMapper m = mapper;
    return m == null ? 0 : m.statementCount();
  }

  public CloseReason closingReason() {
    return closingReason;
  }

  /** The host this server connects or connected to (one of {@code host=a,b}). */
  public String host() {
    return host != null ? host : pool.settings().serverHost();
  }

  public Channel channel() {
    return channel;
  }

  // ---- Connecting and logging in ----

  /** Starts connecting; the login continues on this connection's loop (see {@link ServerLoginHandler}). */
  public void connect() {
    ServerLoginHandler.connect(this);
  }


  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    // Before anything else on this loop: connect() may still be running on another thread (found
    // by ProtocolFuzzIT: a server that logged in before connect() stored its channel was linked to
    // a client with no channel, which hung the client and leaked its pending bytes).
    channel = ctx.channel();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    // The login runs in ServerLoginHandler, ahead of this handler, which it then leaves.
    outbox = new Outbox(ctx.alloc());
    if (replicationFor != null) {
      // A relay reads no message: the scanner only tells where messages end.
      scanner = new FrameScanner(ctx.alloc(), MAX_INSPECTED);
      return;
    }
    scanner = new FrameScanner(ctx.alloc(), MAX_INSPECTED, SERVER_TYPES);
    mapper =
        new StatementMapper(
            this,
            new StatementMapper.Context(
                backend.preparedStatements(),
                backend::maxPreparedStatements,
                pool.stats(),
                () -> pool.settings().sessionPinning()),
            tracker,
            parameters.reported,
            ctx.alloc(),
            scanner::inspect);
  }

  /**
   * The login's ReadyForQuery came: whatever ends the server from now on is no login failure (its
   * waiting clients are not failed, the pool does not back off). Before what followed that
   * ReadyForQuery in the same read is read; once.
   */
  void loginEnded() {
    if (loginDone || stateRef.get() == ServerState.CLOSED) {
      return;
    }
    loginDone = true;
    if (loginDeadline != null) {
      loginDeadline.cancel(false);
    }
    log.debug("S-{}: {} logged in, backend pid {}", id, where(), backendPid);
    backend.events().serverLoggedIn(this);
  }

  /**
   * The login handler saw ReadyForQuery, called {@link #loginEnded} and handed on what followed it
   * in that read: connect_query, or ready for clients.
   */
  void loggedIn() {
    if (stateRef.get() == ServerState.CLOSED) {
      return;
    }
    if (!scanner.atBoundary()) {
      replies.midMessage("its login ended");
      return;
    }
    if (replicationFor != null) {
      relay.linkReplication();
      return;
    }
    String connectQuery = pool.settings().connectQuery();
    if (connectQuery != null && !connectQuery.isBlank()) {
      testedSinceNanos = System.nanoTime();
      pool.testing(this);
      own.runInternal(OwnQueries.Internal.CONNECT_QUERY, List.of(connectQuery));
      return;
    }
    ready();
  }

  void ready() {
    if (listenerRole != null) {
      moveTo(ServerState.ACTIVE); // a listening connection is in no pool list
      listenerRole.onReady(this);
      return;
    }
    pool.welcomeParameters(parameters.reported);
    pool.onServerLoggedIn(this);
    pool.release(this);
  }

  // ---- Linking clients ----

  /**
   * Called by the pool, under its lock, on any thread: this server is now {@code c}'s. The link is
   * made on this server's loop.
   */
  public void assign(dev.breakwater.server.pool.Borrower b) {
    if (b instanceof InternalQuery q) {
      loop.execute(() -> own.runQuery(q));
    } else {
      LinkedClient c = (LinkedClient) b;
      loop.execute(() -> requests.attach(c));
    }
  }

  /** On the listening connection: runs LISTEN or UNLISTEN. */
  void runListenerCommand(String sql) {
    if (stateRef.get() == ServerState.CLOSED) {
      return;
    }
    own.runInternal(OwnQueries.Internal.LISTEN_COMMAND, List.of(sql));
  }

  /**
   * Lends a reserved server to {@code b}, outside the pool's lock: at once when called on this
   * server's loop, else as a task on it.
   */
  public void dispatch(dev.breakwater.server.pool.Borrower b) {
    if (b instanceof InternalQuery q) {
      loop.execute(() -> own.runQuery(q));
    } else if (loop.inEventLoop()) {
      requests.attach((LinkedClient) b);
    } else {
      LinkedClient c = (LinkedClient) b;
      loop.execute(() -> requests.attach(c));
    }
  }

  /** Called by the pool, under its lock: the server is back in the pool. */
  public void markIdle() {
    idleSinceNanos = System.nanoTime();
  }

  /**
   * Called by the pool, under its lock: released and handed straight to a waiting client. It counts
   * as free from now, as if it had been idle for no time: server_check_delay is about servers left
   * unused ("released connections available for immediate re-use"), and one that goes from client
   * to client without a pause is in use, not idle.
   */
  public void markHandedOn(long now) {
    idleSinceNanos = now;
  }

  /** Called by the pool, under its lock: the server is taken out of the pool to be closed. */
  public void markClosing(CloseReason reason) {
    closingReason = reason;
  }

  /** Bytes from the linked client, handed on by its {@link Link} (see {@link Requests}). */
  boolean forwardFromClient(Link l, ByteBuf batch) {
    return requests.forwardFromClient(l, batch);
  }

  /** The client closed. Called on this server's loop. */
  public void onClientClosed(Link l) {
    requests.onClientClosed(l);
  }

  /** query_timeout: cancels the running query, once, if it still runs when this loop gets to it. */
  public void cancelForTimeout() {
    cancels.cancelForTimeout();
  }

  /** A client's CancelRequest, from any thread (see {@link Cancels#cancelFor}). */
  public void cancelFor(Link requester) {
    cancels.cancelFor(requester);
  }

  /** How long the current query has run, or 0. */
  public long queryRunningNanos(long now) {
    long t = queryStartNanos;
    return t == 0 ? 0 : now - t;
  }

  /** How long the current transaction has run, or 0. */
  public long transactionRunningNanos(long now) {
    long t = transactionStartNanos;
    return t == 0 ? 0 : now - t;
  }

  /**
   * How long the linked client has sat idle in an open transaction, or with extended-protocol
   * messages not synced, or 0.
   */
  public long idleInTransactionNanos(long now) {
    Link l = link;
    return l == null ? 0 : l.idleInTransactionNanos(now);
  }

  /** Why the linked client is pinned to this server, or null. */
  public String pinReason() {
    return tracker.pinReason();
  }

  // ---- Reading ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (replicationFor != null) {
      relay.relayFromServer(in);
      return;
    }
    replies.read(in);
  }

  /**
   * server_fast_close in session mode: a server whose database was reconnected (RECONNECT, a
   * reload that moved it) closes as soon as its client is between transactions, taking the client
   * with it, as in PgBouncer. From any thread; acts on this server's loop.
   */
  public void fastCloseIfBetweenTransactions() {
    loop.execute(() -> {
      Link l = link;
      if (l == null
          || stateRef.get() == ServerState.CLOSED
          || generation == pool.generation()
          || transactionStatus != TransactionStatus.IDLE
          || own.running()
          || cancels.cancelsInFlight != 0
          || replies.heldReadyForQuery != null) {
        return;
      }
      // Under the link's monitor: no query of the client's is on its way meanwhile.
      l.ifQuiet(this, () -> closeNow(CloseReason.RECONNECT,
          ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "database configuration changed")));
    });
  }

  /** A parameter's value on this server, as PostgreSQL reported it at login. */
  void report(String name, String value) {
    parameters.report(name, value);
  }

  // ---- Closing ----

  /** Closes this server, from any thread. */
  public void close(CloseReason reason) {
    if (loop.inEventLoop()) {
      closeNow(reason, null);
    } else {
      loop.execute(() -> closeNow(reason, null));
    }
  }

  /** The server's key for cancel requests, from BackendKeyData at login. */
  void backendKey(int pid, int secret) {
    backendPid = pid;
    backendSecret = secret;
  }

  /** Closes a server that could not log in, passing its error to the clients that wait. */
  void loginFailed(CloseReason reason, ErrorFields error) {
    closeNow(reason, error);
  }

  void closeNow(CloseReason reason, ErrorFields error) {
    if (stateRef.get() == ServerState.CLOSED) {
      return;
    }
    // A server closed before its login finished (refused, failed, timed out) tells waiting clients
    // why; one that logged in and was then retired (PAUSE, lifetime) is no failure.
    boolean neverReady = !loginDone;
    stateRef.set(ServerState.CLOSED);
    if (loginDeadline != null) {
      loginDeadline.cancel(false);
    }
    Link l = link;
    LinkedClient c = null;
    if (l != null && l.detach(this)) {
      c = l.client();
    }
    link = null;
    if (channel != null) {
      channel.close();
    }
    cancels.clear();
    if (scanner != null) {
      scanner.pause(); // closed by a message of a read: the scan stops after it (Replies.read)
    }
    // Part of a message relayed to the client, the rest never to come: no error may follow it.
    boolean cutMidMessage = c != null && scanner != null && scanner.midForwardedMessage() && !own.running();
    boolean atBoundary = scanner == null || scanner.atBoundary(); // read before the release below
    if (scanner != null) {
      scanner.release();
    }
    if (mapper != null) {
      mapper.release();
    }
    if (replies.heldReadyForQuery != null) {
      replies.heldReadyForQuery.release();
      replies.heldReadyForQuery = null;
    }
    if (outbox != null) {
      outbox.clear();
    }
    // The line operators read is written by the connection log (log_disconnections).
    log.debug("S-{}: closing {}: {}", id, where(), reason.description());
    backend.events().serverClosed(this, reason, neverReady ? loginFailure(error) : null);
    if (c != null && replicationFor != null) {
      c.relayEnded(relay.relayEndError(reason, error, atBoundary));
    } else if (c != null && cutMidMessage) {
      c.serverLostMidMessage(this, reason);
    } else if (c != null) {
      c.serverLost(this, reason, error);
    } else if (replicationFor != null && neverReady) {
      replicationFor.failWaiting(relay.replicationLoginError(loginFailure(error)), reason);
    }
    if (listenerRole != null) {
      listenerRole.onClosed(this);
    }
    LinkedClient checked = own.checkingFor;
    own.checkingFor = null;
    if (own.lookup != null) {
      own.lookup.fail(
          error != null
              ? error
              : ErrorFields.of("FATAL", SqlState.CONNECTION_FAILURE, "server closed during auth_query: " + reason.description()));
      own.lookup = null;
    }
    pool.onServerClosed(this, reason, neverReady ? loginFailure(error) : null);
    if (checked != null && reason != CloseReason.CHECK_FAILED) {
      pool.requeue(checked);
    }
  }

  private ErrorFields loginFailure(ErrorFields error) {
    if (error != null) {
      return error;
    }
    return ErrorFields.of(
        "FATAL", SqlState.CONNECTION_FAILURE, "server connection to " + where() + " closed during login");
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    CloseReason reason = closingReason != null ? closingReason : CloseReason.SERVER_CLOSED;
    closeNow(reason, reason == CloseReason.SERVER_FATAL ? unseenFatal : null);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.warn("S-{}: I/O error on {}: {}", id, where(), cause.toString());
    closeNow(CloseReason.SERVER_IO_ERROR, null);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    LinkedClient c = client();
    if (c != null && ctx.channel().isWritable()) {
      c.resumeReading();
    }
    ctx.fireChannelWritabilityChanged();
  }

  /** Resumes reading from PostgreSQL once the client has drained what it was sent. */
  public void resumeReading() {
    if (channel != null) {
      channel.config().setAutoRead(true);
    }
  }

  String where() {
    PoolSettings cfg = pool.settings();
    return cfg.serverUser() + "@" + (host != null ? host : cfg.serverHost()) + ":" + cfg.serverPort() + "/" + cfg.serverDatabase();
  }

  @Override
  public String toString() {
    return "S-" + id + " " + where();
  }}
