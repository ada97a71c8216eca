package dev.breakwater.server.backend;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.config.PoolMode;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection to PostgreSQL: it connects, logs in, then carries clients' work.
 *
 * <p>Everything here runs on the connection's own event loop, except {@link #assign}, which the pool
 * calls under its lock and which hands the real work ({@link #attach}) to that loop. What a linked
 * client shares with its server (replies due, bytes in flight, where its messages stand) is its
 * {@link Link}'s, which makes the release decision at ReadyForQuery and guards that state with its
 * monitor, so that a client's writes and that decision never cross. This connection holds at most
 * one link, read on its loop.
 */
public final class ServerConnection extends ChannelInboundHandlerAdapter
    implements FrameScanner.Handler {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);
  private static final AtomicLong IDS = new AtomicLong();
  private static final int MAX_INSPECTED = 1 << 20;
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

  /** What Breakwater's own queries on this server are for. */
  private enum Internal {
    NONE,
    /** Setting the next client's parameters, ahead of its messages. */
    SYNC,
    /** ROLLBACK and the reset query, after a client; then back to the pool. */
    RESET,
    /** connect_query, after login; then ready. */
    CONNECT_QUERY,
    /** server_check_query, before lending a server idle longer than server_check_delay. */
    CHECK,
    /** One of Breakwater's own queries, whose rows are kept (auth_query). */
    LOOKUP,
    /** LISTEN or UNLISTEN on the pool's listening connection. */
    LISTEN_COMMAND,
    /** Reading back the session state a client left uncertain (SessionTracker.CHECK_QUERY). */
    CHECK_STATE
  }

  private final long id = IDS.incrementAndGet();
  private final Backend backend;
  private final Pool pool;
  private final EventLoop loop;
  private final long createdNanos = System.nanoTime();
  private final int generation;
  /** Set on a pool's listening connection (LISTEN without pinning), null on pooled servers. */
  private final Listener listenerRole;
  /**
   * The replication client this server was opened for, or null for a pooled server. Such a server
   * carries the client's replication parameter and settings in its startup packet, is linked to
   * that client at login and to no other, relays every byte both ways unread (no parameter sync,
   * state check, reset or statement mapping: a physical walsender takes replication commands
   * only), and closes with its client.
   */
  private final LinkedClient replicationFor;
  private final SessionTracker tracker = new SessionTracker();
  /** Whether a client has used this server: server_lifetime 0 closes it after one use. */
  private volatile boolean used;

  /**
   * Set on this connection's loop when the channel registers (and by {@link #connect} on the
   * thread that opens it): volatile, because that thread may run late, after the login ended.
   */
  private volatile Channel channel;
  /** The host of the entry's list this server connects to; set by {@link #connect}. */
  private volatile String host;
  private FrameScanner scanner;
  private Outbox outbox;
  private ServerLogin login;
  private ScheduledFuture<?> loginDeadline;

  /**
   * Moved by its pool, under the pool's lock, as the server goes from list to list ({@code
   * Pool.move}); set here only to CLOSED (final: never moved from) and, for a pool's listening
   * connection, which is in no list, to ACTIVE.
   */
  private final java.util.concurrent.atomic.AtomicReference<ServerState> stateRef =
      new java.util.concurrent.atomic.AtomicReference<>(ServerState.LOGIN);
  /** When the server last went TESTED (connect_query or the reset query began). */
  private volatile long testedSinceNanos;
  /** Messages of the current read dropped because no client was linked, and the first's type. */
  private int droppedInRead;
  private byte firstDroppedType;
  private boolean loginDone;
  private volatile CloseReason closingReason;
  private volatile long idleSinceNanos = System.nanoTime();
  /** The link of the client this server carries now, or null (see {@link Link}). */
  private volatile Link link;

  private TransactionStatus transactionStatus = TransactionStatus.IDLE;
  private final Map<String, String> reported = new HashMap<>();
  /**
   * A pool's welcome parameters that {@link #reported} and {@link #extras} were last found to agree
   * with, together with {@link #agreesWithOwn} (what that client held beyond them, null for
   * nothing): no setting to send to a client that holds the same. Null once a parameter changes.
   */
  private Map<String, String> agreesWith;
  private Map<String, String> agreesWithOwn;
  private final Map<String, String> extras = new HashMap<>();
  private int backendPid;
  private int backendSecret;

  private Internal internal = Internal.NONE;
  /** The cleanup being run drops the whole session (DISCARD ALL). */
  private boolean resetDiscards;
  /** The cleanup being run resets every setting (RESET ALL or DISCARD ALL). */
  private boolean resetSettings;
  /** The client a server check is for. */
  private LinkedClient checkingFor;
  /** The query being run for Breakwater itself, and its rows so far. */
  private InternalQuery lookup;
  private List<List<String>> lookupRows;
  private int internalReplies;
  private ErrorFields internalError;

  /** What to do once the current read is done. */
  private enum AfterRead {
    NOTHING,
    /** The client's transaction ended: back to the pool. */
    RELEASE,
    /** The client was refused a transaction (statement mode): roll it back, then back to the pool. */
    ROLLBACK,
    /** The client's session state is uncertain: read it back before the server may go. */
    CHECK_STATE,
  }

  /** The client the current read's forwarded bytes go to. */
  private LinkedClient readTarget;
  /** A ReadyForQuery waiting for the shared connection's LISTEN (see onReadyForQuery). */
  private ByteBuf heldReadyForQuery;
  /** The client whose transaction ended in this read: its queued notifications follow the Z. */
  private LinkedClient releasedClient;

  /** Client to server: statement names rewritten, requests queued to match their replies. */
  private StatementMapper mapper;

  /** When the running query and transaction began (0: none): stats and timeouts. */
  private volatile long queryStartNanos;
  private volatile long transactionStartNanos;
  /** The start of the query query_timeout last cancelled: each query is cancelled once. */
  private volatile long cancelledQueryStart;
  private AfterRead afterRead = AfterRead.NOTHING;

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

  /** Starts connecting; the login continues on this connection's loop. */
  public void connect() {
    PoolSettings cfg = pool.settings();
    host = pool.nextServerHost();
    Map<String, String> clientParameters = Map.of();
    if (replicationFor != null) {
      clientParameters = new java.util.LinkedHashMap<>(replicationFor.replicationParameters());
      clientParameters.put("replication", replicationFor.replication().startupValue());
    }
    login = new ServerLogin(cfg, backend, pool, clientParameters);
    ServerLoginHandler loginHandler = new ServerLoginHandler(this, login, cfg, backend.tls());
    ChannelFuture f =
        backend.connect(
            loop,
            host,
            cfg.serverPort(),
            new io.netty.channel.ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline().addLast(loginHandler, ServerConnection.this);
              }
            });
    channel = f.channel();
    long timeout = cfg.serverConnectTimeout().toMillis();
    if (timeout > 0) {
      loginDeadline =
          loop.schedule(
              () -> {
                if (stateRef.get() == ServerState.LOGIN) {
                  loginFailed(
                      CloseReason.CONNECT_TIMEOUT,
                      ErrorFields.of(
                          "FATAL",
                          SqlState.CONNECTION_FAILURE,
                          "server login timed out after "
                              + timeout
                              + " ms (server_connect_timeout) for "
                              + where()));
                }
              },
              timeout,
              TimeUnit.MILLISECONDS);
    }
    f.addListener(
        (ChannelFuture done) -> {
          if (!done.isSuccess()) {
            Throwable cause = done.cause();
            loginFailed(
                CloseReason.CONNECT_FAILED,
                ErrorFields.of(
                    "FATAL",
                    SqlState.CONNECTION_FAILURE,
                    "could not connect to server "
                        + where()
                        + ": "
                        + (cause == null ? "unknown error" : cause.getMessage())));
          }
        });
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
            reported,
            ctx.alloc(),
            scanner::inspect);
  }


  /** The login handler saw ReadyForQuery: connect_query, or ready for clients. */
  void loggedIn() {
    if (stateRef.get() == ServerState.CLOSED) {
      return;
    }
    loginDone = true;
    if (loginDeadline != null) {
      loginDeadline.cancel(false);
    }
    log.debug("S-{}: {} logged in, backend pid {}", id, where(), backendPid);
    backend.events().serverLoggedIn(this);
    if (replicationFor != null) {
      linkReplication();
      return;
    }
    String connectQuery = pool.settings().connectQuery();
    if (connectQuery != null && !connectQuery.isBlank()) {
      testedSinceNanos = System.nanoTime();
      pool.testing(this);
      runInternal(Internal.CONNECT_QUERY, List.of(connectQuery));
      return;
    }
    ready();
  }

  private void ready() {
    if (listenerRole != null) {
      moveTo(ServerState.ACTIVE); // a listening connection is in no pool list
      listenerRole.onReady(this);
      return;
    }
    pool.welcomeParameters(reported);
    pool.onServerLoggedIn(this);
    pool.release(this);
  }

  // ---- Replication: one client, every byte relayed ----

  /** Logged in: the server becomes its replication client's, whose login ends now. */
  private void linkReplication() {
    LinkedClient c = replicationFor;
    Link l = c.link();
    if (pool.replicationLinked(this) && l.attach(this)) {
      link = l;
      used = true;
    } else {
      close(CloseReason.REPLICATION_CLIENT_GONE);
      return;
    }
    pool.stats().assigned(System.nanoTime() - c.waitStartedNanos());
    c.replicationLinked(Map.copyOf(reported));
    channel.config().setAutoRead(true);
  }

  /** What the server sent, to its replication client as it came. */
  private final FrameScanner.Handler relay =
      new FrameScanner.Handler() {
        @Override
        public boolean onMessage(byte type, ByteBuf message) {
          return true;
        }

        @Override
        public void onForward(ByteBuf bytes) {
          if (readTarget == null) {
            bytes.release();
          } else {
            outbox.add(bytes);
          }
        }
      };

  private void relayFromServer(ByteBuf in) {
    try {
      if (stateRef.get() == ServerState.CLOSED) {
        return;
      }
      readTarget = client();
      scanner.scan(in, relay);
      flushToClient();
    } catch (ProtocolException e) {
      outbox.clear();
      log.warn("S-{}: {} broke the protocol: {}", id, where(), e.getMessage());
      closeNow(CloseReason.SERVER_PROTOCOL_VIOLATION, null);
    } finally {
      in.release();
    }
  }

  private void relayFromClient(Link l, ByteBuf batch) {
    if (link != l || stateRef.get() == ServerState.CLOSED) {
      batch.release();
      return;
    }
    pool.stats().received(batch.readableBytes());
    channel.writeAndFlush(batch, channel.voidPromise());
    if (!channel.isWritable()) {
      pauseReadingFrom(l.client());
    }
  }

  /**
   * The error a replication client is closed with when its server goes: none when PostgreSQL ended
   * the session (its own error, if any, was relayed) or when the server stopped inside a message.
   */
  private ErrorFields relayEndError(CloseReason reason, ErrorFields error) {
    if (reason == CloseReason.SERVER_CLOSED
        || reason == CloseReason.SERVER_FATAL
        || reason == CloseReason.SERVER_IO_ERROR
        || reason == CloseReason.REPLICATION_CLIENT_GONE
        || scanner == null
        || !scanner.atBoundary()) {
      return null;
    }
    return error != null
        ? error
        : ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "terminating connection: " + reason.description());
  }

  /**
   * A replication server that did not log in: its client gets PostgreSQL's error (its SQLSTATE,
   * detail and hint) as a failed login, as PgBouncer reports it ("login failed").
   */
  private static ErrorFields replicationLoginError(ErrorFields error) {
    Map<Character, String> f = new java.util.LinkedHashMap<>(error.fields());
    f.put(ErrorFields.SEVERITY, "FATAL");
    f.put(ErrorFields.SEVERITY_NONLOCALIZED, "FATAL");
    f.put(ErrorFields.MESSAGE, "login failed: " + error.message());
    return new ErrorFields(f);
  }

  // ---- Linking clients ----

  /**
   * Called by the pool, under its lock, on any thread: this server is now {@code c}'s. The link is
   * made on this server's loop.
   */
  public void assign(dev.breakwater.server.pool.Borrower b) {
    if (b instanceof InternalQuery q) {
      loop.execute(() -> runQuery(q));
    } else {
      LinkedClient c = (LinkedClient) b;
      loop.execute(() -> attach(c));
    }
  }

  /** On the listening connection: runs LISTEN or UNLISTEN. */
  void runListenerCommand(String sql) {
    if (stateRef.get() == ServerState.CLOSED) {
      return;
    }
    runInternal(Internal.LISTEN_COMMAND, List.of(sql));
  }

  /**
   * Lends a reserved server to {@code b}, outside the pool's lock: at once when called on this
   * server's loop, else as a task on it.
   */
  public void dispatch(dev.breakwater.server.pool.Borrower b) {
    if (b instanceof InternalQuery q) {
      loop.execute(() -> runQuery(q));
    } else if (loop.inEventLoop()) {
      attach((LinkedClient) b);
    } else {
      LinkedClient c = (LinkedClient) b;
      loop.execute(() -> attach(c));
    }
  }

  /** Runs one of Breakwater's own queries (auth_query) with its parameters, then back to the pool. */
  private void runQuery(InternalQuery q) {
    if (stateRef.get() == ServerState.CLOSED || closingReason != null) {
      pool.requeue(q);
      return;
    }
    lookup = q;
    lookupRows = new java.util.ArrayList<>();
    internal = Internal.LOOKUP;
    internalReplies = 1;
    internalError = null;
    scanner.inspect(MessageType.DATA_ROW, true);
    ByteBuf out = channel.alloc().buffer();
    FrontendMessages.parse(out, "", q.sql());
    FrontendMessages.bind(out, "", "", q.parameters());
    FrontendMessages.execute(out, "", 0);
    FrontendMessages.sync(out);
    channel.writeAndFlush(out);
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

  private void attach(LinkedClient c) {
    if (stateRef.get() == ServerState.CLOSED || closingReason != null) {
      pool.requeue(c);
      return;
    }
    if (c.isLoggingIn()) {
      // The client needs only the server's parameters to finish its login; all share one copy.
      pool.welcomeParameters(reported);
      c.welcome(pool.welcomeParameters());
      pool.release(this);
      return;
    }
    PoolSettings check = pool.settings();
    String checkQuery = check.serverCheckQuery();
    long delay = check.serverCheckDelay().toNanos();
    if (checkQuery != null
        && !checkQuery.isEmpty()
        && used
        && System.nanoTime() - idleSinceNanos > delay
        && !c.isClosed()) {
      // Idle long enough to doubt: test it before lending it. PgBouncer's "<empty>" sends an
      // empty query; an empty setting turns the check off.
      checkingFor = c;
      runInternal(Internal.CHECK, List.of(checkQuery.equals("<empty>") ? "" : checkQuery));
      return;
    }
    link(c);
  }

  private void link(LinkedClient c) {
    Link l = c.link();
    if (!l.attach(this)) {
      pool.release(this); // the client closed meanwhile
      return;
    }
    // Timings belong to the client: a new one starts with none (timeouts read them).
    queryStartNanos = 0;
    transactionStartNanos = 0;
    link = l;
    used = true;
    // The client's parameters are changed only by its linked server's loop: this one, from now.
    Map<String, String> base = c.parameterBaseWithoutExtras();
    Map<String, String> own = c.ownParameters();
    String sync;
    if (base != null
        && base == agreesWith
        && java.util.Objects.equals(own, agreesWithOwn)
        && extras.isEmpty()) {
      // The common case: the client holds what the last client this server agreed with held
      // (the pool's parameters, and often the same application_name): nothing to compare.
      sync = null;
    } else {
      sync = ParameterSync.plan(c.reportedParameters(), c.extraParameters(), reported, extras);
      if (sync == null && base != null && extras.isEmpty()) {
        agreesWith = base;
        agreesWithOwn = own;
      }
    }
    PoolSettings cfg = pool.settings();
    boolean trackSession = cfg.mode() != PoolMode.SESSION;
    mapper.modes(trackSession, trackSession && backend.maxPreparedStatements() > 0);
    if (sync != null) {
      internal = Internal.SYNC;
      internalReplies = 1;
      ByteBuf q = channel.alloc().buffer();
      FrontendMessages.query(q, sync);
      channel.write(q);
    }
    // Bytes the client delivers from now on are queued to this loop, behind these.
    ByteBuf pending = l.takePending();
    if (pending != null) {
      writeFromClient(c, pending);
    }
    channel.flush();
    channel.config().setAutoRead(true);
    long waitStarted = c.waitStartedNanos();
    pool.stats().assigned(waitStarted == 0 ? 0 : System.nanoTime() - waitStarted);
    c.onLinked();
  }

  /**
   * Bytes from the linked client, handed on by its {@link Link} under the link's monitor. They are
   * written on this server's loop, in order: at once when called there, else queued to it (true
   * returned: in flight until {@link Link#arrived}, and the server not released meanwhile).
   */
  boolean forwardFromClient(Link l, ByteBuf batch) {
    if (replicationFor != null) {
      if (loop.inEventLoop()) {
        relayFromClient(l, batch);
      } else {
        loop.execute(() -> relayFromClient(l, batch));
      }
      return false;
    }
    LinkedClient c = l.client();
    if (loop.inEventLoop()) {
      writeFromClient(c, batch);
      channel.flush();
      afterClientWrite(c);
      return false;
    }
    loop.execute(
        () -> {
          l.arrived();
          if (link != l || stateRef.get() == ServerState.CLOSED) {
            // The client closed meanwhile and this server was cleaned up: nothing to deliver.
            batch.release();
            return;
          }
          writeFromClient(c, batch);
          channel.flush();
          afterClientWrite(c);
        });
    return true;
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

  /** query_timeout: cancels the running query, once, if it still runs when this loop gets to it. */
  public void cancelForTimeout() {
    long started = queryStartNanos;
    if (started == 0 || cancelledQueryStart == started) {
      return;
    }
    cancelledQueryStart = started;
    Link l = link;
    loop.execute(() -> {
      if (link != l || l == null || queryStartNanos != started || started == 0) {
        return; // that query is over: the server may serve another client's by now
      }
      log.info("S-{}: cancelling a query of {} that ran past query_timeout", id, l);
      sendCancel();
    });
  }

  /**
   * A client's CancelRequest, from any thread: forwarded only if, on this server's loop, the
   * server is still {@code requester}'s, so that it can never reach another client's query; and
   * the server stays with its client until PostgreSQL has taken the cancel.
   */
  public void cancelFor(Link requester) {
    loop.execute(() -> {
      if (link != requester || stateRef.get() == ServerState.CLOSED) {
        log.debug("S-{}: cancel request of {} dropped: its server is no longer its", id, requester);
        return;
      }
      sendCancel();
    });
  }

  /** Scans the client's bytes, rewriting statement names, and queues them for the server. */
  private void writeFromClient(LinkedClient c, ByteBuf batch) {
    if ((cancelsInFlight > 0 && queryStartNanos == 0) || (heldForCancel != null && !heldForCancel.isEmpty())) {
      // A cancel is on its way to PostgreSQL and the query it was sent for is over: the client's
      // next query waits until PostgreSQL has taken the cancel (it closes the cancel's connection,
      // CANCEL_WAIT_MILLIS at most), or the cancel could reach it (cancelDone sends it on).
      if (heldForCancel == null) {
        heldForCancel = new Outbox(channel.alloc());
      }
      heldForCancel.add(batch);
      c.pauseReading();
      return;
    }
    pool.stats().received(batch.readableBytes());
    if (queryStartNanos == 0) {
      queryStartNanos = System.nanoTime();
      if (transactionStartNanos == 0) {
        transactionStartNanos = queryStartNanos;
      }
    }
    ByteBuf out;
    try {
      out = mapper.scan(c, batch);
    } catch (ProtocolException e) {
      log.warn("S-{}: bad message from {}: {}", id, c, e.getMessage());
      c.serverLost(this, CloseReason.CLIENT_PROTOCOL_VIOLATION,
          ErrorFields.of("FATAL", e.sqlState(), e.getMessage()));
      return;
    } catch (IndexOutOfBoundsException e) {
      // Every read is within one message: a field past its end is the client's malformed message.
      // Answered as one, rather than thrown on this loop with the client left waiting.
      log.warn("S-{}: malformed message from {}: {}", id, c, e.toString());
      c.serverLost(this, CloseReason.CLIENT_PROTOCOL_VIOLATION,
          ErrorFields.of("FATAL", dev.breakwater.protocol.SqlState.PROTOCOL_VIOLATION, "invalid message format"));
      return;
    }
    if (out != null) {
      channel.write(out, channel.voidPromise());
    }
  }

  private void afterClientWrite(LinkedClient c) {
    ByteBuf fakes = mapper.fakesDue();
    if (fakes != null) {
      c.channel().writeAndFlush(fakes, c.channel().voidPromise());
    }
    if (!channel.isWritable()) {
      pauseReadingFrom(c);
    }
  }

  /**
   * Backpressure toward the client: it is read again on this server's writability event. If this
   * server drained (on its own loop) between the check and the pause, that event has already come
   * and gone, so the pause is undone here rather than left for an event that will not come.
   */
  private void pauseReadingFrom(LinkedClient c) {
    c.pauseReading();
    if (channel.isWritable()) {
      c.resumeReading();
    }
  }

  /** Why the linked client is pinned to this server, or null. */
  public String pinReason() {
    return tracker.pinReason();
  }

  /** The client closed. Called on this server's loop. */
  public void onClientClosed(Link l) {
    if (!l.detach(this)) {
      return;
    }
    link = null;
    if (stateRef.get() == ServerState.CLOSED) {
      return;
    }
    if (replicationFor != null) {
      // A walsender is its client's alone: it goes with it, as PgBouncer closes it; told so by a
      // Terminate where the client's bytes ended between messages, so that it ends cleanly.
      if (!l.midMessage()) {
        ByteBuf x = channel.alloc().buffer(5);
        FrontendMessages.terminate(x);
        channel.writeAndFlush(x, channel.voidPromise());
      }
      close(CloseReason.REPLICATION_CLIENT_GONE);
      return;
    }
    boolean serverMidMessage = mapper.midForwardedMessage();
    // A message the client never finished never reached the server: forget it.
    mapper.forgetPartial();
    switch (l.onLeave(
        internal == Internal.SYNC || internal == Internal.CHECK_STATE,
        serverMidMessage,
        cancelsInFlight)) {
      case CLOSE -> {
        if (serverMidMessage || cancelsInFlight > 0) {
          close(CloseReason.CLIENT_GONE_MID_QUERY);
        } else {
          // Parse, Bind, Execute... with no Sync after them: an implicit transaction may be open
          // (a Sync would commit what the client never confirmed), a BEGIN may have run, or an
          // error may have the server skipping input until a Sync. PostgreSQL itself rolls such
          // work back when its client goes; the server is closed, as PgBouncer closes it.
          log.info("S-{}: {} left with extended-protocol messages not synced: closing the server", id, l);
          close(CloseReason.CLIENT_GONE_UNSYNCED);
        }
      }
      case CANCEL_AND_CLOSE -> {
        // Stop the abandoned query rather than leave it running on a closed connection.
        sendCancel();
        close(CloseReason.CLIENT_GONE_MID_QUERY);
      }
      case CLEAN_UP -> cleanUpAndRelease(true);
    }
  }

  /** Before going back to the pool: roll back what is open, run the reset query where due. */
  private void cleanUpAndRelease(boolean clientLeft) {
    PoolSettings cfg = pool.settings();
    List<String> queries = new java.util.ArrayList<>(2);
    if (transactionStatus != TransactionStatus.IDLE) {
      queries.add("ROLLBACK");
    }
    boolean reset =
        (clientLeft && cfg.mode() == PoolMode.SESSION) || cfg.resetQueryAlways();
    if (reset && cfg.resetQuery() != null && !cfg.resetQuery().isBlank()) {
      queries.add(cfg.resetQuery());
    }
    String sessionCleanup = tracker.cleanupQuery();
    if (sessionCleanup != null && !queries.contains(sessionCleanup)) {
      queries.add(sessionCleanup);
    }
    resetDiscards = queries.stream().anyMatch(q -> q.toUpperCase(java.util.Locale.ROOT).contains("DISCARD ALL"));
    resetSettings = resetDiscards || queries.stream().anyMatch(q -> q.toUpperCase(java.util.Locale.ROOT).contains("RESET ALL"));
    channel.config().setAutoRead(true);
    mapper.clear();
    if (queries.isEmpty()) {
      pool.release(this);
    } else {
      testedSinceNanos = System.nanoTime();
      pool.testing(this);
      runInternal(Internal.RESET, queries);
    }
  }

  /**
   * Reads back the session state of the linked client, whose last transaction did something the
   * pooler could not follow; the client stays linked meanwhile (its next bytes follow the check).
   */
  private void startStateCheck() {
    pool.stats().stateCheck();
    log.debug("S-{}: reading back the session state {} left ({})", id, link, tracker.uncertainty());
    tracker.checkStarted();
    lookupRows = new java.util.ArrayList<>();
    scanner.inspect(MessageType.DATA_ROW, true);
    runInternal(Internal.CHECK_STATE, List.of(SessionTracker.CHECK_QUERY));
  }

  /** The state check's answer: adopted by the client, and the server released if it may go. */
  private void stateChecked(ErrorFields error) {
    List<List<String>> rows = lookupRows;
    lookupRows = null;
    scanner.inspect(MessageType.DATA_ROW, false);
    Link l = link;
    if (l == null) {
      return;
    }
    LinkedClient c = l.client();
    String pin;
    if (error != null) {
      log.warn("S-{}: reading back the session state of {} failed, keeping it on this server: {}", id, c, error);
      tracker.checkFailed();
      pin = tracker.pinReason();
    } else {
      pin = tracker.adopt(rows, c.extraParameters(), extras, pool.settings().serverUser());
      agreesWith = null;
    }
    if (pin != null) {
      pool.stats().pinned(pin);
      log.debug("S-{}: {} is pinned to this server: {} (found by the state check)", id, c, pin);
    }
    reconsider(l);
  }

  /**
   * Between ReadyForQuerys (a state check or a cancel just ended): whether the link may end now,
   * by the same rule; what follows runs at {@link #finishRead}.
   */
  private void reconsider(Link l) {
    switch (l.reconsider(this, pool.settings().mode() != PoolMode.SESSION, tracker.pinned(),
        tracker.uncertainty() != null, cancelsInFlight)) {
      case RELEASE -> unlinkedAfterRead(l, AfterRead.RELEASE);
      case CHECK_STATE -> afterRead = AfterRead.CHECK_STATE;
      default -> { }
    }
  }

  /** The link ended at a ReadyForQuery: {@code next} runs once the current read is done. */
  private void unlinkedAfterRead(Link l, AfterRead next) {
    link = null;
    afterRead = next;
    releasedClient = l.client();
    scanner.pause();
  }

  private void runInternal(Internal kind, List<String> queries) {
    internal = kind;
    internalReplies = queries.size();
    internalError = null;
    ByteBuf q = channel.alloc().buffer();
    for (String sql : queries) {
      FrontendMessages.query(q, sql);
    }
    channel.writeAndFlush(q);
  }

  private void internalDone() {
    Internal kind = internal;
    internal = Internal.NONE;
    ErrorFields error = internalError;
    internalError = null;
    switch (kind) {
      case SYNC:
        if (error == null && link != null) {
          // PostgreSQL reports a setting only when its value changes: record that the server now
          // holds the client's values, so the same client (or one like it) needs no SET next time.
          Map<String, String> wanted = link.client().reportedParameters();
          for (String name : ParameterSync.TRACKED) {
            String v = wanted.get(name);
            if (v != null) {
              report(name, v);
            }
          }
        }
        if (error != null) {
          LinkedClient c = client();
          log.warn("S-{}: setting the parameters of {} failed: {}", id, c, error);
          if (c != null) {
            c.serverLost(this, CloseReason.SERVER_PROTOCOL_VIOLATION, error);
          }
        }
        break;
      case RESET:
        if (error != null) {
          log.warn("S-{}: reset failed on {}: {}", id, where(), error);
          close(CloseReason.RESET_FAILED);
        } else {
          if (resetSettings) {
            extras.clear();
            agreesWith = null;
          }
          if (resetDiscards) {
            mapper.serverReset();
          }
          tracker.cleaned();
          pool.release(this);
        }
        break;
      case CONNECT_QUERY:
        if (error != null) {
          loginFailed(CloseReason.SERVER_LOGIN_FAILED, error);
        } else {
          ready();
        }
        break;
      case CHECK_STATE:
        stateChecked(error);
        break;
      case LISTEN_COMMAND:
        if (error != null) {
          log.warn("S-{}: listening connection: {}", id, error);
        }
        listenerRole.onCommandDone(this);
        break;
      case LOOKUP:
        {
          InternalQuery q = lookup;
          List<List<String>> rows = lookupRows;
          lookup = null;
          lookupRows = null;
          scanner.inspect(MessageType.DATA_ROW, false);
          if (error != null) {
            q.fail(error);
          } else {
            q.complete(rows);
          }
          pool.release(this);
          break;
        }
      case CHECK:
        {
          LinkedClient c = checkingFor;
          checkingFor = null;
          idleSinceNanos = System.nanoTime();
          if (error != null) {
            log.warn("S-{}: server_check_query failed on {}: {}", id, where(), error);
            close(CloseReason.CHECK_FAILED);
            pool.requeue(c);
          } else {
            link(c);
          }
          break;
        }
      default:
        break;
    }
  }

  // ---- Reading ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (replicationFor != null) {
      relayFromServer(in);
      return;
    }
    try {
      while (stateRef.get() != ServerState.CLOSED) {
        readTarget = client();
        boolean done = scanner.scan(in, this);
        flushToClient();
        if (done) {
          break;
        }
      }
    } catch (ProtocolException e) {
      // The login is ServerLoginHandler's: what reaches this handler comes after it.
      outbox.clear();
      log.warn("S-{}: {} broke the protocol: {}", id, where(), e.getMessage());
      closeNow(CloseReason.SERVER_PROTOCOL_VIOLATION, null);
    } finally {
      in.release();
    }
    logDropped();
    Link l = link;
    if (l != null) {
      l.readDone(this, System.nanoTime()); // idle_transaction_timeout counts unsynced clients too
    }
    finishRead();
  }

  /** After a read: release the server, or roll back and reset it first, as the read decided. */
  private void finishRead() {
    AfterRead next = afterRead;
    afterRead = AfterRead.NOTHING;
    if (next == AfterRead.CHECK_STATE) {
      if (stateRef.get() != ServerState.CLOSED && link != null && internal == Internal.NONE) {
        startStateCheck();
      }
      return;
    }
    if (next != AfterRead.NOTHING && stateRef.get() != ServerState.CLOSED) {
      channel.config().setAutoRead(true);
      mapper.clear();
      LinkedClient released = releasedClient;
      releasedClient = null;
      if (released != null) {
        released.flushNotifications();
      }
      if (ReleaseRule.needsCleanup(
          next == AfterRead.ROLLBACK, pool.settings().resetQueryAlways(), tracker.cleanupQuery())) {
        cleanUpAndRelease(false);
      } else {
        pool.releaseAfterRead(this);
      }
    }
  }

  private void flushToClient() {
    LinkedClient target = readTarget;
    readTarget = null;
    ByteBuf out = outbox.take();
    if (out == null) {
      return;
    }
    if (target == null) {
      out.release();
      return;
    }
    Channel cc = target.channel();
    pool.stats().sent(out.readableBytes());
    cc.writeAndFlush(out, cc.voidPromise());
    if (!cc.isWritable()) {
      // Backpressure: the client's writability event resumes reading (see resumeReading).
      channel.config().setAutoRead(false);
      if (cc.isWritable()) {
        // The client (on another loop) drained and fired its event before reading stopped: that
        // event found reading on and did nothing, so nothing else would resume it.
        channel.config().setAutoRead(true);
      }
    }
  }

  @Override
  public void onForwardedHeader(byte type, int length) {
    if (mapper.mapsStatements() && internal == Internal.NONE && mapper.hasRequests()) {
      mapper.advance(type);
      if (type == MessageType.ERROR_RESPONSE) {
        // An oversized error, relayed unread: a provoked failure is short, so this one is
        // PostgreSQL's own, sent as it is.
        mapper.takeDuplicateName();
      }
    }
    if (readTarget == null && internal == Internal.NONE) {
      // Forwarded unread, to nobody: see onUnlinkedMessage.
      dropped(type);
    }
  }

  /**
   * An ErrorResponse longer than MAX_INSPECTED (PostgreSQL quotes the input in some errors, {@code
   * SELECT repeat('x', 2000000)::int}) is relayed as it streams, never held whole: what the pooler
   * needs of it (severity, SQLSTATE) is in its first bytes (onOversizedHead). Other messages the
   * pooler reads are short by PostgreSQL's own limits (a notification's payload is under 8000
   * bytes) and past the bound end the server as a protocol violation.
   */
  @Override
  public boolean onOversized(byte type, int length) {
    if (type == MessageType.ERROR_RESPONSE) {
      return true;
    }
    log.warn("S-{}: {} sent a {} of {} bytes, more than the {} the pooler reads",
        id, where(), MessageType.describe(type), length + 1L, MAX_INSPECTED);
    return false;
  }

  @Override
  public void onOversizedHead(byte type, ByteBuf head) {
    ErrorFields error = ErrorFields.decodeHead(head);
    if (internal != Internal.NONE) {
      scanner.flushBefore();
      onError(error); // the rest is dropped with the other replies to Breakwater's own queries
      return;
    }
    if (link == null) {
      if (error.isFatal()) {
        log.info("S-{}: {} sent {} with no client linked", id, where(), error);
        closingReason = CloseReason.SERVER_FATAL;
      }
      return; // dropped, and counted, by onForwardedHeader
    }
    if (mapper.mapsStatements()) {
      if (mapper.splitting()) {
        // Replies faked for the client go before the error; those due after it go before the
        // ReadyForQuery that follows it (which also updates the splitting).
        scanner.flushBefore();
        mapper.emitFakes(outbox);
      }
    }
    onError(error);
  }

  @Override
  public void onForward(ByteBuf bytes) {
    if (internal != Internal.NONE || readTarget == null) {
      bytes.release();
      return;
    }
    outbox.add(bytes);
  }

  @Override
  public boolean onMessage(byte type, ByteBuf message) {
    if (type == MessageType.NOTIFICATION_RESPONSE) {
      if (listenerRole != null) {
        listenerRole.onNotification(message);
        return false;
      }
      // In transaction pooling a server's notifications are nobody's: clients get theirs from
      // the pool's listening connection. In session mode they are the client's own.
      return internal == Internal.NONE && !mapper.tracksSession() && link != null;
    }
    if (internal != Internal.NONE) {
      // Replies to Breakwater's own queries are dropped: what came before goes (or is dropped)
      // before the state can change at this message.
      scanner.flushBefore();
      return onInternalMessage(type, message);
    }
    if (link == null && type != MessageType.READY_FOR_QUERY) {
      return onUnlinkedMessage(type, message);
    }
    boolean forward;
    boolean split = mapper.mapsStatements() && mapper.splitting();
    if (split) {
      scanner.flushBefore();
      mapper.emitFakes(outbox);
    }
    byte action = mapper.mapsStatements() ? mapper.advance(type) : RequestQueue.FORWARD;
    switch (type) {
      case MessageType.READY_FOR_QUERY:
        if (split) {
          // Replies queued up to here go first; the ReadyForQuery follows unless it is withheld.
          if (onReadyForQuery(TransactionStatus.of(message.getByte(message.readerIndex() + 5)), message)) {
            outbox.add(message.retainedSlice());
          }
          mapper.updateSplitting();
          return false;
        }
        forward = onReadyForQuery(TransactionStatus.of(message.getByte(message.readerIndex() + 5)), message);
        break;
      case MessageType.PARAMETER_STATUS:
        forward = onParameterStatus(message);
        break;
      case MessageType.ERROR_RESPONSE:
        {
          String duplicate = mapper.mapsStatements() ? mapper.takeDuplicateName() : null;
          ErrorFields error = ErrorFields.decode(message);
          forward = onError(error);
          if (forward && duplicate != null) {
            // The failure provoked for a Parse of a name in use: PostgreSQL's error instead.
            scanner.flushBefore();
            ByteBuf out = channel.alloc().buffer(96 + duplicate.length());
            BackendMessages.error(out, "ERROR", SqlState.DUPLICATE_PREPARED_STATEMENT,
                "prepared statement \"" + duplicate + "\" already exists");
            outbox.add(out);
            forward = false;
          } else if (forward && cancelledForTimeout(error)) {
            // The cancel was query_timeout's, not the client's: say so, in PgBouncer's words.
            scanner.flushBefore();
            ByteBuf out = channel.alloc().buffer();
            queryTimeoutError(error).encode(out, MessageType.ERROR_RESPONSE);
            outbox.add(out);
            forward = false;
          }
        }
        break;
      case MessageType.COMMAND_COMPLETE:
        if (mapper.watchesTags()) {
          onCommandTag(message);
        }
        forward = action != RequestQueue.HIDE;
        break;
      case MessageType.NOTICE_RESPONSE:
        forward = true;
        break;
      default:
        if (isSplitType(type)) {
          forward = action != RequestQueue.HIDE;
          break;
        }
        throw new ProtocolException(
            "unexpected message " + MessageType.describe(type) + " outside of login");
    }
    if (split) {
      if (forward) {
        outbox.add(message.retainedSlice());
      }
      mapper.emitFakes(outbox);
      mapper.updateSplitting();
      return false;
    }
    return forward;
  }

  /**
   * A message while no client is linked: after the ReadyForQuery that released the server (in the
   * same read or later), or while it waits in the pool. It is nobody's, so it is dropped, as
   * PgBouncer drops it ("got packet from server when not linked"), and said in the log (one line
   * per read for the plain ones, so a stream of rows makes one line); the server's own record of
   * its parameters and of a FATAL error is kept.
   */
  private boolean onUnlinkedMessage(byte type, ByteBuf message) {
    switch (type) {
      case MessageType.PARAMETER_STATUS:
        {
          ByteBuf body = Codec.body(message);
          String name = Codec.readCString(body);
          String value = Codec.readCString(body);
          report(name, value);
          log.warn("S-{}: {} reported {} = {} with no client linked: dropped", id, where(), name, value);
          return false;
        }
      case MessageType.ERROR_RESPONSE:
        {
          ErrorFields error = ErrorFields.decode(message);
          if (error.isFatal()) {
            // The server is going (terminated, idle_session_timeout): its close says so.
            log.info("S-{}: {} sent {} with no client linked", id, where(), error);
            closingReason = CloseReason.SERVER_FATAL;
          } else {
            log.warn("S-{}: {} sent {} with no client linked: dropped", id, where(), error);
          }
          return false;
        }
      default:
        dropped(type);
        return false;
    }
  }

  /** Counts a message dropped for want of a client; the read logs them in one line. */
  private void dropped(byte type) {
    if (droppedInRead++ == 0) {
      firstDroppedType = type;
    }
  }

  private void logDropped() {
    if (droppedInRead > 0) {
      log.warn(
          "S-{}: {} sent {} message(s) with no client linked, the first {}: dropped",
          id, where(), droppedInRead, MessageType.describe(firstDroppedType));
      droppedInRead = 0;
    }
  }

  private static boolean isSplitType(byte type) {
    for (byte t : SPLIT_TYPES) {
      if (t == type) {
        return true;
      }
    }
    return false;
  }

  /** DISCARD ALL and DEALLOCATE ALL done: the server has no prepared statements left. */
  private void onCommandTag(ByteBuf message) {
    String tag = Codec.readCString(Codec.body(message));
    if (tag.equals("DISCARD ALL") || tag.equals("DEALLOCATE ALL")) {
      mapper.statementsDropped(client());
    }
  }

  private boolean onInternalMessage(byte type, ByteBuf message) {
    switch (type) {
      case MessageType.DATA_ROW:
        if (lookupRows != null) {
          lookupRows.add(InternalQuery.decodeRow(message));
        }
        return false;
      case MessageType.READY_FOR_QUERY:
        return onReadyForQuery(TransactionStatus.of(message.getByte(message.readerIndex() + 5)), message);
      case MessageType.PARAMETER_STATUS:
        return onParameterStatus(message);
      case MessageType.ERROR_RESPONSE:
        return onError(ErrorFields.decode(message));
      default:
        return false;
    }
  }

  /** The one place where pooling decisions are made. */
  private boolean onReadyForQuery(TransactionStatus status, ByteBuf message) {
    transactionStatus = status;
    if (internal != Internal.NONE) {
      if (--internalReplies == 0) {
        internalDone();
      }
      return false;
    }
    Link l = link;
    if (l == null) {
      throw new ProtocolException("ReadyForQuery with no query running");
    }
    LinkedClient c = l.client();
    long now = System.nanoTime();
    if (queryStartNanos != 0) {
      pool.stats().query(now - queryStartNanos);
      queryStartNanos = 0;
    }
    if (status == TransactionStatus.IDLE && transactionStartNanos != 0) {
      pool.stats().transaction(now - transactionStartNanos);
      transactionStartNanos = 0;
    }

    if (mapper.tracksSession()) {
      // The tracker records a statement's effects as the client's message passes: with more of
      // the client's requests already sent (pipelined), they include statements that have not run
      // yet, and may yet fail. Applied at the last ReadyForQuery; an error before it is seen then.
      boolean last = l.due() <= 1;
      java.util.concurrent.CompletableFuture<Void> wait =
          tracker.onReadyForQuery(status == TransactionStatus.IDLE && last, c, extras, () -> backend.listener(pool));
      if (wait != null && !wait.isDone()) {
        // The client's LISTEN returns once the shared connection listens: no notification sent
        // after it can be missed. The ReadyForQuery waits until then, and so does the release.
        heldReadyForQuery = message.retainedSlice();
        scanner.pause();
        wait.whenComplete((v, e) -> loop.execute(() -> releaseHeld(l, status)));
        return false;
      }
    }
    boolean forward = decide(l, status, now);
    if (status == TransactionStatus.IDLE && link == l && generation != pool.generation()
        && pool.settings().serverFastClose()) {
      // After this ReadyForQuery has gone out.
      fastCloseIfBetweenTransactions();
    }
    return forward;
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
          || internal != Internal.NONE
          || cancelsInFlight != 0
          || heldReadyForQuery != null) {
        return;
      }
      // Under the link's monitor: no query of the client's is on its way meanwhile.
      l.ifQuiet(this, () -> closeNow(CloseReason.RECONNECT,
          ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "database configuration changed")));
    });
  }

  /** A ReadyForQuery withheld until the shared connection listened: it goes out now. */
  private void releaseHeld(Link l, TransactionStatus status) {
    ByteBuf z = heldReadyForQuery;
    heldReadyForQuery = null;
    if (z == null) {
      return;
    }
    if (stateRef.get() == ServerState.CLOSED || link != l) {
      z.release();
      return;
    }
    readTarget = l.client();
    outbox.add(z);
    decide(l, status, System.nanoTime());
    flushToClient();
    finishRead();
  }

  /** The link's decision at a ReadyForQuery for its client, and what follows it. */
  private boolean decide(Link l, TransactionStatus status, long now) {
    PoolMode mode = pool.settings().mode();
    ReleaseRule.AtReady verdict =
        l.atReady(this, status, mode, tracker.pinned(), tracker.uncertainty() != null,
            cancelsInFlight, now);
    switch (verdict) {
      case CHECK_STATE -> afterRead = AfterRead.CHECK_STATE; // the client keeps it meanwhile
      case RELEASE -> unlinkedAfterRead(l, AfterRead.RELEASE);
      case REFUSE -> unlinkedAfterRead(l, AfterRead.ROLLBACK);
      case KEEP -> { }
    }
    if (verdict == ReleaseRule.AtReady.REFUSE) {
      // The ReadyForQuery is withheld: the client is told why and closed, its transaction undone.
      // With more replies due, or a cancel on its way that could reach the next client, the
      // server is closed rather than rolled back and lent again.
      if (l.dueAfterReady() > 0 || cancelsInFlight > 0) {
        afterRead = AfterRead.NOTHING;
        close(CloseReason.TRANSACTION_IN_STATEMENT_MODE);
      }
      l.client().refuseTransaction();
      return false;
    }
    return true;
  }

  /** A parameter's value on this server, as PostgreSQL reported it (or as a SET made it). */
  void report(String name, String value) {
    if (!value.equals(reported.put(name, value))) {
      agreesWith = null;
    }
  }

  private boolean onParameterStatus(ByteBuf message) {
    ByteBuf body = Codec.body(message);
    String name = Codec.readCString(body);
    String value = Codec.readCString(body);
    report(name, value);
    LinkedClient c = client();
    if (c == null) {
      return false;
    }
    if (internal == Internal.SYNC) {
      // The client asked for this setting; the server's spelling of it is what it would have seen.
      if (!value.equals(c.reportedParameters().put(name, value)) && readTarget != null) {
        outbox.add(message.retainedSlice());
      }
      return false;
    }
    if (internal != Internal.NONE) {
      return false;
    }
    c.reportedParameters().put(name, value);
    return true;
  }

  /** The error ends the query that query_timeout cancelled. */
  private boolean cancelledForTimeout(ErrorFields error) {
    return queryStartNanos != 0
        && cancelledQueryStart == queryStartNanos
        && SqlState.QUERY_CANCELED.equals(error.sqlState());
  }

  /** PostgreSQL's "canceling statement due to user request", told as query_timeout's doing. */
  private static ErrorFields queryTimeoutError(ErrorFields fromServer) {
    java.util.Map<Character, String> f =
        new java.util.LinkedHashMap<>(
            ErrorFields.of(
                    fromServer.severity(),
                    SqlState.QUERY_CANCELED,
                    "canceling statement due to query timeout (query_timeout)")
                .fields());
    f.put(ErrorFields.DETAIL, "The query ran longer than query_timeout; the pooler cancelled it.");
    return new ErrorFields(f);
  }

  private boolean onError(ErrorFields error) {
    if (error.isFatal()) {
      log.info("S-{}: {} sent {}", id, where(), error);
      closingReason = CloseReason.SERVER_FATAL;
    }
    if (internal != Internal.NONE) {
      if (internalError == null) {
        internalError = error;
      }
      return false;
    }
    tracker.onError();
    return true;
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

  private void closeNow(CloseReason reason, ErrorFields error) {
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
    if (heldForCancel != null) {
      heldForCancel.clear();
    }
    if (scanner != null) {
      scanner.release();
    }
    if (mapper != null) {
      mapper.release();
    }
    if (heldReadyForQuery != null) {
      heldReadyForQuery.release();
      heldReadyForQuery = null;
    }
    if (outbox != null) {
      outbox.clear();
    }
    // The line operators read is written by the connection log (log_disconnections).
    log.debug("S-{}: closing {}: {}", id, where(), reason.description());
    backend.events().serverClosed(this, reason, neverReady ? loginFailure(error) : null);
    if (c != null && replicationFor != null) {
      c.relayEnded(relayEndError(reason, error));
    } else if (c != null) {
      c.serverLost(this, reason, error);
    } else if (replicationFor != null && neverReady) {
      replicationFor.failWaiting(replicationLoginError(loginFailure(error)), reason);
    }
    if (listenerRole != null) {
      listenerRole.onClosed(this);
    }
    LinkedClient checked = checkingFor;
    checkingFor = null;
    if (lookup != null) {
      lookup.fail(
          error != null
              ? error
              : ErrorFields.of("FATAL", SqlState.CONNECTION_FAILURE, "server closed during auth_query: " + reason.description()));
      lookup = null;
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
    closeNow(reason, null);
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

  /** Whether this server's connection is encrypted (server_tls_sslmode): its cancels are too. */
  private boolean encrypted() {
    Channel ch = channel;
    return ch != null && ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
  }

  /**
   * Cancels what runs on this server, over a connection of its own, encrypted when this server's
   * is (as libpq 17 does), so that the backend's key does not cross the network in the clear; on
   * this server's loop.
   */
  private void sendCancel() {
    PoolSettings cfg = pool.settings();
    cancelsInFlight++;
    backend
        .cancel(loop, host, cfg.serverPort(), backendPid, backendSecret, encrypted())
        .addListener(f -> cancelDone());
  }

  /** A cancel was taken: the server may go back to the pool now if its link is done. */
  private void cancelDone() {
    cancelsInFlight--;
    Link l = link;
    LinkedClient c = l == null ? null : l.client();
    if (cancelsInFlight == 0 && heldForCancel != null && !heldForCancel.isEmpty()) {
      ByteBuf held = heldForCancel.take();
      if (c == null || stateRef.get() == ServerState.CLOSED) {
        held.release();
      } else {
        // The client's bytes that waited for the cancel go on now, then it is read again.
        c.resumeReading();
        writeFromClient(c, held);
        channel.flush();
        afterClientWrite(c);
      }
    }
    if (cancelsInFlight > 0 || c == null || stateRef.get() == ServerState.CLOSED || internal != Internal.NONE
        || replicationFor != null) {
      return;
    }
    reconsider(l);
    finishRead();
  }

  /** Cancel requests sent for this server whose connection PostgreSQL has not closed yet. */
  private int cancelsInFlight;
  /** The client's bytes that wait for a cancel to be taken (see writeFromClient), or null. */
  private Outbox heldForCancel;

  String where() {
    PoolSettings cfg = pool.settings();
    return cfg.serverUser() + "@" + (host != null ? host : cfg.serverHost()) + ":" + cfg.serverPort() + "/" + cfg.serverDatabase();
  }

  @Override
  public String toString() {
    return "S-" + id + " " + where();
  }
}
