package dev.breakwater.server.backend;

import dev.breakwater.protocol.Authentication;
import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.pool.ServerState;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.pool.PoolSettings;
import dev.breakwater.server.tls.Tls;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A server connection's login, as the first handler of its pipeline until PostgreSQL says
 * ReadyForQuery: SSLRequest and the TLS handshake where configured, the StartupMessage, the
 * authentication exchange ({@link ServerLogin}), BackendKeyData and the first ParameterStatus
 * messages. Then it removes itself and hands what follows to its {@link ServerConnection}, as
 * {@code StartupHandler} does on the client side. A failure closes the server with its error,
 * which the clients waiting for it are given.
 */
final class ServerLoginHandler extends ChannelInboundHandlerAdapter implements FrameScanner.Handler {

  private static final Logger log = LoggerFactory.getLogger(ServerLoginHandler.class);
  /** The longest login message read whole. */
  private static final int MAX_INSPECTED = 1 << 20;
  private static final byte[] LOGIN_TYPES = {
    MessageType.AUTHENTICATION,
    MessageType.NOTICE_RESPONSE,
    MessageType.BACKEND_KEY_DATA,
    MessageType.PARAMETER_STATUS,
    MessageType.READY_FOR_QUERY,
    MessageType.ERROR_RESPONSE,
    MessageType.NEGOTIATE_PROTOCOL_VERSION
  };

  private final ServerConnection server;
  private final ServerLogin login;
  private final PoolSettings cfg;
  private final Tls tls;
  private ChannelHandlerContext ctx;
  private FrameScanner scanner;
  private boolean negotiatingTls;
  /** ReadyForQuery came: the login is over. */
  private boolean done;
  /** An ErrorResponse came: the server is being closed. */
  private boolean failed;

  /**
   * Starts connecting {@code s}, with this handler ahead of it in the pipeline; the login continues
   * on the server's s.loop, within server_connect_timeout.
   */
  static void connect(ServerConnection s) {
    PoolSettings cfg = s.pool.settings();
    s.host = s.pool.nextServerHost();
    Map<String, String> clientParameters = Map.of();
    if (s.replicationFor != null) {
      clientParameters = new java.util.LinkedHashMap<>(s.replicationFor.replicationParameters());
      clientParameters.put("replication", s.replicationFor.replication().startupValue());
    }
    ServerLogin login = new ServerLogin(cfg, s.backend, s.pool, clientParameters);
    ServerLoginHandler loginHandler = new ServerLoginHandler(s, login, cfg, s.backend.tls());
    ChannelFuture f =
        s.backend.connect(
            s.loop,
            s.host,
            cfg.serverPort(),
            new io.netty.channel.ChannelInitializer<Channel>() {
              @Override
              protected void initChannel(Channel ch) {
                ch.pipeline().addLast(loginHandler, s);
              }
            });
    s.channel = f.channel();
    long timeout = cfg.serverConnectTimeout().toMillis();
    if (timeout > 0) {
      s.loginDeadline =
          s.loop.schedule(
              () -> {
                if (s.stateRef.get() == ServerState.LOGIN) {
                  s.loginFailed(
                      CloseReason.CONNECT_TIMEOUT,
                      ErrorFields.of(
                          "FATAL",
                          SqlState.CONNECTION_FAILURE,
                          "server login timed out after "
                              + timeout
                              + " ms (server_connect_timeout) for "
                              + s.where()));
                }
              },
              timeout,
              TimeUnit.MILLISECONDS);
    }
    f.addListener(
        (ChannelFuture done) -> {
          if (!done.isSuccess()) {
            Throwable cause = done.cause();
            s.loginFailed(
                CloseReason.CONNECT_FAILED,
                ErrorFields.of(
                    "FATAL",
                    SqlState.CONNECTION_FAILURE,
                    "could not connect to server "
                        + s.where()
                        + ": "
                        + (cause == null ? "unknown error" : cause.getMessage())));
          }
        });
  }

  ServerLoginHandler(ServerConnection server, ServerLogin login, PoolSettings cfg, Tls tls) {
    this.server = server;
    this.login = login;
    this.cfg = cfg;
    this.tls = tls;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    scanner = new FrameScanner(ctx.alloc(), MAX_INSPECTED, LOGIN_TYPES);
    ctx.fireChannelActive();
    if (tls != null && tls.asksServerTls()) {
      // Ask for TLS first; the answer is one byte, read in channelRead.
      negotiatingTls = true;
      ByteBuf out = ctx.alloc().buffer(8);
      FrontendMessages.sslRequest(out);
      ctx.writeAndFlush(out);
      return;
    }
    sendStartup();
  }

  private void sendStartup() {
    ByteBuf out = ctx.alloc().buffer();
    FrontendMessages.startupMessage(out, login.startupParameters());
    ctx.writeAndFlush(out);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    try {
      if (failed) {
        return;
      }
      if (negotiatingTls) {
        onTlsAnswer(in);
        return;
      }
      scanner.scan(in, this);
      if (done) {
        ctx.pipeline().remove(this);
        // What came after the login's ReadyForQuery is read first, with no client: a server given
        // out before could hand the rest of a message there to its first client. A replication
        // server's is its client's, relayed once the two are linked.
        boolean relayRest = server.isReplication();
        server.loginEnded();
        if (in.isReadable() && !relayRest) {
          ctx.fireChannelRead(in.retain());
        }
        server.loggedIn();
        if (in.isReadable() && relayRest) {
          ctx.fireChannelRead(in.retain());
        }
      }
    } catch (ProtocolException e) {
      log.warn("S-{}: login to {} failed: {}", server.id(), server.where(), e.getMessage());
      failed = true;
      server.loginFailed(CloseReason.SERVER_LOGIN_FAILED, ErrorFields.of("FATAL", e.sqlState(), e.getMessage()));
    } catch (IndexOutOfBoundsException e) {
      // Every message is read within its own bytes: a field past its end is a malformed message.
      log.warn("S-{}: login to {} failed: malformed message", server.id(), server.where(), e);
      failed = true;
      server.loginFailed(CloseReason.SERVER_LOGIN_FAILED,
          ErrorFields.of("FATAL", SqlState.PROTOCOL_VIOLATION, "malformed message from the server at login"));
    } finally {
      in.release();
    }
  }

  /** The server's one-byte answer to SSLRequest. */
  private void onTlsAnswer(ByteBuf in) {
    negotiatingTls = false;
    byte answer = in.readByte();
    if (in.isReadable()) {
      throw new ProtocolException("unencrypted bytes after the server's TLS answer");
    }
    if (answer == 'S') {
      SslHandler h = tls.newServerHandler(ctx.alloc(), server.host(), cfg.serverPort());
      ctx.pipeline().addFirst("tls", h);
      h.handshakeFuture()
          .addListener(
              f -> {
                if (f.isSuccess()) {
                  sendStartup();
                } else {
                  fail("TLS handshake with server " + server.where() + " failed: " + dev.breakwater.server.tls.Tls.reason(f.cause()));
                }
              });
    } else if (answer == 'N') {
      if (tls.requiresServerTls()) {
        fail("server " + server.where() + " does not support TLS, and server_tls_sslmode is "
            + tls.serverMode().configName());
      } else {
        sendStartup();
      }
    } else {
      throw new ProtocolException("unexpected answer to SSLRequest: " + MessageType.describe(answer));
    }
  }

  /** The login cannot go on: the server closes, and its waiting clients get this as 08006. */
  private void fail(String message) {
    failed = true;
    server.loginFailed(
        CloseReason.SERVER_LOGIN_FAILED, ErrorFields.of("FATAL", SqlState.CONNECTION_FAILURE, message));
  }

  @Override
  public boolean onMessage(byte type, ByteBuf message) {
    switch (type) {
      case MessageType.AUTHENTICATION:
        {
          ByteBuf reply = login.answer(Authentication.decode(message), ctx.alloc());
          if (reply != null) {
            ctx.writeAndFlush(reply);
          }
          break;
        }
      case MessageType.BACKEND_KEY_DATA:
        {
          ByteBuf body = Codec.body(message);
          if (body.readableBytes() != 8) {
            // Protocol 3.0, which the pooler asks for: a process ID and a 4-byte key.
            throw new ProtocolException("BackendKeyData of " + body.readableBytes() + " bytes, not 8");
          }
          server.backendKey(body.readInt(), body.readInt());
          break;
        }
      case MessageType.PARAMETER_STATUS:
        {
          ByteBuf body = Codec.body(message);
          server.report(Codec.readCString(body), Codec.readCString(body));
          break;
        }
      case MessageType.ERROR_RESPONSE:
        {
          ErrorFields error = ErrorFields.decode(message);
          log.warn("S-{}: login to {} failed: {}", server.id(), server.where(), error);
          failed = true;
          server.loginFailed(CloseReason.SERVER_LOGIN_FAILED, error);
          scanner.pause();
          break;
        }
      case MessageType.NOTICE_RESPONSE:
        log.info("S-{}: notice at login to {}: {}", server.id(), server.where(), ErrorFields.decode(message));
        break;
      case MessageType.NEGOTIATE_PROTOCOL_VERSION:
        break;
      case MessageType.READY_FOR_QUERY:
        login.checkComplete();
        done = true;
        scanner.pause();
        break;
      default:
        throw new ProtocolException("unexpected message " + MessageType.describe(type) + " at login");
    }
    return false;
  }

  @Override
  public void onForwardedHeader(byte type, int length) {
    throw new ProtocolException("unexpected message " + MessageType.describe(type) + " at login");
  }

  @Override
  public boolean onOversized(byte type, int length) {
    throw new ProtocolException(
        "message " + MessageType.describe(type) + " of " + length + " bytes at login is too long");
  }

  @Override
  public void onForward(ByteBuf bytes) {
    bytes.release();
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (scanner != null) {
      scanner.release();
    }
  }
}
