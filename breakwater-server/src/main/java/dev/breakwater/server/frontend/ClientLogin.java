package dev.breakwater.server.frontend;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.StartupPacket.StartupMessage;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.ClientMemory;
import dev.breakwater.server.backend.ReplicationMode;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.EventLoops;
import dev.breakwater.server.LogText;
import dev.breakwater.server.config.AuthType;
import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import dev.breakwater.server.pool.PoolSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's login, as its connection's handler from the StartupMessage until the client is told
 * ReadyForQuery: the startup parameters ({@link StartupParameters}), the checks ({@link
 * Admission}), auth_query, the password or SASL exchange or a peer or certificate login ({@link
 * IdentityCheck}), the pool, and the server parameters the client is told. Then it replaces itself
 * with its {@link ClientConnection}, the session, and hands on what the client sent meanwhile, as
 * {@link StartupHandler} hands on to it. A failure closes the client with its error;
 * client_login_timeout covers the whole login.
 *
 * <p>The {@link ClientConnection} is made at the start, since pools, views and logs see a client
 * logging in, but it reads nothing until it takes over; nothing of the login (startup packet,
 * authenticator, SCRAM state) stays with it. Runs on the client's event loop.
 */
final class ClientLogin extends ChannelInboundHandlerAdapter implements FrameScanner.Handler {

  private static final Logger log = LoggerFactory.getLogger(ClientLogin.class);
  /** The longest message read whole: a password or SASL message. */
  private static final int MAX_INSPECTED = 64 * 1024;
  private static final FrameScanner.Inspected LOGIN_TYPES =
      FrameScanner.Inspected.of(MessageType.TERMINATE, MessageType.PASSWORD);
  /** How long a login at its database's or user's client limit waits, after the loops settled, before it asks again. */
  private static final long SETTLE_MILLIS = 2;

  private final Frontend frontend;
  private final StartupMessage startup;
  private final long connectedNanos;
  private ChannelHandlerContext ctx;
  private ClientConnection client;
  private FrameScanner scanner;
  private ScheduledFuture<?> timeout;

  private ClientAuthenticator authenticator;
  private boolean authenticated;
  /** How the client is let in (console or pool, the hba rule, ...), once it is. */
  private Admission admission;
  /** The event loops were let settle once because the client's database was at its limit. */
  private boolean settled;
  /** The secret auth_query found, which servers of this client's pool can log in with. */
  private Secret queriedSecret;

  /** Bytes read while the login cannot read them, or null. */
  private HeldBytes held;
  /** A scan of this handler's is running (its scanner is not to be released under it). */
  private boolean scanning;
  private boolean terminated;
  /** The session took over. */
  private boolean done;

  ClientLogin(Frontend frontend, StartupMessage startup, long connectedNanos) {
    this.frontend = frontend;
    this.startup = startup;
    this.connectedNanos = connectedNanos;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    client = new ClientConnection(frontend, ctx.channel(), connectedNanos, startup.database(), startup.user());
    scanner = new FrameScanner(ctx.alloc(), MAX_INSPECTED, LOGIN_TYPES);
    scanner.budget(ClientMemory.GLOBAL);
    frontend.clientOpened(client.kind());
    long limit = frontend.settings().general().clientLoginTimeout().toNanos();
    if (limit > 0) {
      // client_login_timeout covers the whole login, password exchange included.
      long left = Math.max(0, limit - (System.nanoTime() - connectedNanos));
      timeout = ctx.executor().schedule(() -> {
        if (!done && !client.isClosed()) {
          client.fatal(
              SqlState.PROTOCOL_VIOLATION,
              "client_login_timeout (server down or wrong password?)",
              CloseReason.CLIENT_LOGIN_TIMEOUT);
        }
      }, left, TimeUnit.NANOSECONDS);
    }
    startSafely();
  }

  private void startSafely() {
    try {
      start();
    } catch (RuntimeException e) {
      log.error("{}: login failed unexpectedly", client, e);
      client.fatal(SqlState.INTERNAL_ERROR, "internal error", CloseReason.INTERNAL_ERROR);
    }
  }

  private void start() {
    if (!settled && Admission.atClientLimit(frontend, client)) {
      // At the limit: the loops first read what they have received (a Terminate sent just before
      // this client connected frees its place; its loop may be this one, between two polls), then
      // the login goes on; what the client sends meanwhile waits.
      settled = true;
      held = new HeldBytes(ctx.channel());
      EventLoops.settled(ctx.channel().eventLoop().parent())
          .whenComplete((ok, e) -> ctx.executor().schedule(() -> {
            List<ByteBuf> bytes = takeHeld();
            if (bytes != null) {
              startSafely();
              replay(bytes);
            }
          }, SETTLE_MILLIS, TimeUnit.MILLISECONDS));
      return;
    }
    Settings settings = frontend.settings();
    String user = startup.user();
    if (user.isEmpty()) {
      client.fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "no PostgreSQL user name specified in startup packet",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (!readStartupParameters(settings)) {
      return;
    }
    admission = Admission.decide(frontend, client);
    if (admission == null) {
      return;
    }
    AuthType type = admission.type();
    Secret secret = frontend.secret(user);
    if (admission.localAdmin()) {
      authenticated();
    } else if (secret == null && type != AuthType.ANY && !admission.unknownDatabase()
        && AuthQuery.configured(settings, admission.database())) {
      lookUp(settings, admission.database(), type);
    } else {
      authenticate(type, secret, false, secret != null);
    }
  }

  /**
   * Sorts the startup parameters (see {@link StartupParameters}) onto the client and refuses the
   * protocol options it sent. False when the client was refused.
   */
  private boolean readStartupParameters(Settings settings) {
    StartupParameters sorted;
    try {
      sorted = StartupParameters.sort(startup, settings, frontend.sharedStrings());
    } catch (ProtocolException e) {
      client.fatal(e.sqlState(), e.getMessage(), CloseReason.CLIENT_LOGIN_FAILED);
      return false;
    }
    client.startupParameters(sorted);
    if (startup.minorVersion() > 0 || !sorted.unrecognized().isEmpty()) {
      ByteBuf out = ctx.alloc().buffer();
      BackendMessages.negotiateProtocolVersion(out, 0, sorted.unrecognized());
      ctx.write(out);
    }
    return true;
  }

  private void unknownDatabase() {
    client.fatal(SqlState.INVALID_CATALOG_NAME, "no such database: " + client.database(), CloseReason.UNKNOWN_DATABASE);
  }

  /**
   * The user is not in the auth file: PostgreSQL is asked (auth_query), off this event loop, then
   * the login carries on here. What the client sends meanwhile (a password sent before it was
   * asked, as Neon's driver does) waits.
   */
  private void lookUp(Settings settings, DatabaseEntry entry, AuthType method) {
    String authDb = AuthQuery.authDatabase(settings, entry);
    if (frontend.isDisabled(authDb)) {
      client.fatal(
          SqlState.CANNOT_CONNECT_NOW,
          "authentication database \"" + authDb + "\" is disabled",
          CloseReason.DATABASE_DISABLED);
      return;
    }
    held = new HeldBytes(ctx.channel());
    frontend
        .authQuery()
        .lookup(settings, entry, startup.user(), client.eventLoop())
        .whenComplete((found, error) -> client.eventLoop().execute(() -> {
          List<ByteBuf> bytes = takeHeld();
          if (bytes == null) {
            return;
          }
          if (error != null) {
            bytes.forEach(ByteBuf::release);
            AuthQuery.failed(client, error);
            return;
          }
          // No row: the same exchange and answer as a wrong password (PgBouncer says "no such
          // user" here, telling who exists).
          authenticate(method, found == null ? null : found.secret(), true, found != null);
          replay(bytes);
        }));
  }

  /**
   * Checks the client against {@code secret} ({@code known}: the auth file or auth_query knows the
   * user, though maybe with no password).
   */
  private void authenticate(AuthType type, Secret secret, boolean fromAuthQuery, boolean known) {
    this.queriedSecret = fromAuthQuery ? secret : null;
    String user = startup.user();
    Hba.Decision hba = admission.hba();
    if (hba != null && hba.peer()) {
      String why = IdentityCheck.peer(client.channel(), hba.map(), frontend.identMap(), user, known || admission.console());
      if (why == null) {
        authenticated();
        return;
      }
      log.warn("{}: peer authentication failed: {}", client, LogText.escape(why));
      client.fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "Peer authentication failed for user \"" + user + "\"",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (!known && type == AuthType.TRUST) {
      // The detail is PgBouncer's message, which scripts match on.
      client.fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "no such user: " + user,
          "\"trust\" authentication failed",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    if (type == AuthType.CERT) {
      String map = hba == null ? null : hba.map();
      String why = IdentityCheck.certificate(client.channel(), map, frontend.identMap(), user, known || admission.console());
      if (why == null) {
        authenticated();
        return;
      }
      log.warn("{}: certificate authentication failed: {}", client, why);
      client.fatal(
          SqlState.INVALID_AUTHORIZATION_SPECIFICATION,
          "certificate authentication failed",
          CloseReason.CLIENT_LOGIN_FAILED);
      return;
    }
    try {
      authenticator = new ClientAuthenticator(type, user, secret, frontend, EdgeClient.of(client.channel()) != null);
    } catch (IllegalArgumentException e) {
      client.fatal(SqlState.FEATURE_NOT_SUPPORTED, e.getMessage(), CloseReason.CLIENT_LOGIN_FAILED);
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
    held = new HeldBytes(ctx.channel());
    authenticator.pending().whenComplete((ignored, error) -> client.eventLoop().execute(() -> {
      List<ByteBuf> bytes = takeHeld();
      if (bytes == null) {
        return;
      }
      ByteBuf out = ctx.alloc().buffer();
      try {
        onAuthStep(authenticator.resume(out), out);
      } catch (RuntimeException e) {
        out.release();
        bytes.forEach(ByteBuf::release);
        log.warn("{}: password check failed: {}", client, e.toString());
        client.fatal(
            e instanceof ProtocolException p ? p.sqlState() : SqlState.INTERNAL_ERROR,
            e instanceof ProtocolException ? e.getMessage() : "password check failed",
            CloseReason.CLIENT_LOGIN_FAILED);
        return;
      }
      replay(bytes);
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
        log.info("{}: password authentication failed{}", client, authenticator.failureDetail());
        // PostgreSQL's words; for SCRAM, PgBouncer's as the detail, which scripts match on.
        client.fatal(
            SqlState.INVALID_PASSWORD,
            "password authentication failed for user \"" + startup.user() + "\"",
            authenticator.sasl() ? "SASL authentication failed" : null,
            CloseReason.CLIENT_LOGIN_FAILED);
    }
  }

  /** The client proved who it is: the admin console, or its pool and the server parameters. */
  private void authenticated() {
    authenticated = true;
    String user = startup.user();
    if (admission.console()) {
      AdminConsole console = frontend.adminConsole();
      boolean admin = admission.localAdmin() || frontend.settings().general().adminUsers().contains(user);
      finish(console.parameters(), console, admin);
      return;
    }
    if (admission.unknownDatabase()) {
      unknownDatabase();
      return;
    }
    Settings settings = frontend.settings();
    DatabaseEntry db = settings.database(startup.database()).orElse(null);
    if (db == null) {
      // Removed by a reload during the login.
      unknownDatabase();
      return;
    }
    PoolSettings resolved = PoolSettings.resolve(settings, db, user);
    PoolKey key = new PoolKey(db.name(), resolved.serverUser());
    Pool pool = frontend.pools().hold(key, () -> resolved);
    client.joined(pool, key);
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
    pool.addClient(client);
    pool.unhold();
    // What the client sends from now on is the session's: it waits for the login to end.
    held = new HeldBytes(ctx.channel());
    if (client.replication() != ReplicationMode.NONE) {
      // Its own server, opened now with the replication parameter: the login finishes with that
      // server's parameters once it has logged in (replicationLinked), or fails with its error.
      pool.acquireReplication(client);
      return;
    }
    Map<String, String> welcome = pool.welcomeParameters();
    if (welcome != null) {
      finish(welcome, null, false);
    } else {
      // No server has logged in yet: borrow one to learn the server's parameters.
      pool.acquire(client);
    }
  }

  /** A server lent for the login brought the parameters to tell the client. From any thread. */
  static void welcome(Channel channel, Map<String, String> serverParameters) {
    channel.eventLoop().execute(() -> {
      ClientLogin login = channel.pipeline().get(ClientLogin.class);
      if (login != null && !login.done && !login.client.isClosed()) {
        login.finish(serverParameters, null, false);
      }
    });
  }

  /**
   * A replication client's own server logged in and is linked: the client's login ends with that
   * server's parameters: at once on the client's loop (where its server runs), so that nothing the
   * server sends next can reach the client ahead of it. From any thread.
   */
  static void replicationLinked(Channel channel, Map<String, String> serverParameters) {
    Runnable finish = () -> {
      ClientLogin login = channel.pipeline().get(ClientLogin.class);
      if (login != null && !login.done && login.authenticated && !login.admission.console()
          && !login.client.isClosed()) {
        login.finish(serverParameters, null, false);
      }
    };
    if (channel.eventLoop().inEventLoop()) {
      finish.run();
    } else {
      channel.eventLoop().execute(finish);
    }
  }

  /**
   * The login is over: the session takes this handler's place, the client is told it is in, and
   * what it sent meanwhile goes on to the session.
   */
  private void finish(Map<String, String> serverParameters, AdminConsole console, boolean admin) {
    done = true;
    if (timeout != null) {
      timeout.cancel(false);
    }
    List<ByteBuf> bytes = takeHeld();
    if (!scanning) {
      scanner.release();
    }
    ctx.pipeline().replace(this, "client", client);
    client.loggedIn(serverParameters, console, admin);
    if (bytes != null) {
      replay(bytes);
    }
  }

  // ---- Reading ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (done) {
      ctx.fireChannelRead(in); // held bytes, replayed after the session took over
      return;
    }
    if (client.isClosed()) {
      in.release();
      return;
    }
    if (held != null) {
      held.add(in);
      return;
    }
    scanning = true;
    try {
      scanner.scan(in, this);
    } catch (ProtocolException e) {
      in.release();
      scanner.release();
      log.warn("{}: protocol violation: {}", client, LogText.escape(e.getMessage()));
      client.fatal(e.sqlState(), e.getMessage(), CloseReason.CLIENT_PROTOCOL_VIOLATION);
      return;
    } finally {
      scanning = false;
    }
    if (done) {
      scanner.release();
    }
    if (client.isClosed() || terminated) {
      // Closed by a message of this read: the scan may hold part of the next.
      scanner.release();
      in.release();
      client.close(CloseReason.CLIENT_TERMINATE); // nothing if closed already
      return;
    }
    if (!in.isReadable()) {
      in.release(); // read to its end (the scanner may hold a message split across reads)
      return;
    }
    // The scan stopped after the message that ended this part of the login.
    if (done) {
      ctx.fireChannelRead(in);
    } else {
      held.add(in);
    }
  }

  @Override
  public boolean onMessage(byte type, ByteBuf message) {
    if (type == MessageType.TERMINATE) {
      terminated = true;
    } else {
      onPasswordMessage(message);
    }
    // This message ended a part of the login: what follows is held, or the session's, or goes
    // with the closed client. After a Terminate the read goes on; the client closes at its end.
    if (held != null || done || client.isClosed()) {
      scanner.pause();
    }
    return false;
  }

  @Override
  public void onForwardedHeader(byte type, int length) {
    throw new ProtocolException("expected password response, got message type " + MessageType.describe(type));
  }

  @Override
  public void onForward(ByteBuf bytes) {
    bytes.release(); // nothing is forwarded during the login (every message is read or refused)
  }

  /**
   * The bytes held, to be read now; null (and the bytes released) when the client closed
   * meanwhile.
   */
  private List<ByteBuf> takeHeld() {
    HeldBytes h = held;
    held = null;
    if (client.isClosed()) {
      if (h != null) {
        h.release();
      }
      return null;
    }
    return h != null ? h.take() : List.of();
  }

  /** Reads the bytes held, in order, as if they came now. */
  private void replay(List<ByteBuf> bytes) {
    for (ByteBuf b : bytes) {
      if (client.isClosed()) {
        b.release();
      } else {
        channelRead(ctx, b);
      }
    }
  }

  // ---- Closing ----

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    client.channelInactive(ctx);
    released();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    client.exceptionCaught(ctx, cause);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (!done) {
      released(); // the channel closed and its pipeline is torn down
    }
  }

  /** The client closed during the login: what the login holds goes. */
  private void released() {
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (!scanning) {
      scanner.release();
    }
    HeldBytes h = held;
    held = null;
    if (h != null) {
      h.release();
    }
  }
}
