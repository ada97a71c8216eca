package dev.breakwater.server.frontend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.ssl.SslHandler;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the untyped first packet of a client connection: answers SSLRequest and GSSENCRequest
 * with 'N' (no TLS yet), forwards a CancelRequest, and on a StartupMessage hands the connection to
 * its login, a {@link ClientLogin}, and removes itself. Any bytes after the startup packet go on to
 * it.
 */
public final class StartupHandler extends ByteToMessageDecoder {

  private static final Logger log = LoggerFactory.getLogger(StartupHandler.class);

  private final Frontend frontend;
  private final long connectedNanos = System.nanoTime();
  private ScheduledFuture<?> loginTimeout;
  private boolean sslAnswered;
  private boolean gssAnswered;
  /** A CancelRequest came: nothing more is read while it is acted on. */
  private boolean cancelRequested;

  public StartupHandler(Frontend frontend) {
    this.frontend = frontend;
  }

  /** Counted in Frontend's starting connections, until handed on or closed. */
  private boolean counted;
  private boolean begun;
  /** Refused at once (too many connections): nothing more is read. */
  private boolean refused;

  /**
   * Connections accepted past max_client_conn before any is refused unread: room for cancel
   * requests, which come on a connection of their own and are never refused (as in PgBouncer, whose
   * limit applies to logins), when the pooler is full. Past it a connection is refused at once.
   */
  static int acceptMargin(int maxClientConn) {
    return Math.max(10, maxClientConn / 10);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    super.handlerAdded(ctx);
    // A WebSocket client's handler comes on a channel already active: it begins now.
    if (ctx.channel().isActive()) {
      begin(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    begin(ctx);
    super.channelActive(ctx);
  }

  /**
   * The connection counts toward max_client_conn from now, before it sends anything (a socket
   * that sends nothing holds a file descriptor all the same): a login past the limit is refused
   * with PgBouncer's error, and a connection past the limit and its margin ({@link #acceptMargin})
   * is refused at once, unread. client_login_timeout runs from now too.
   */
  private void begin(ChannelHandlerContext ctx) {
    if (begun) {
      return;
    }
    begun = true;
    counted = true;
    int connections = frontend.startingOpened();
    int max = frontend.settings().general().maxClientConn();
    if (connections > (long) max + acceptMargin(max)) {
      log.warn("{}: closing because: no more connections allowed (max_client_conn {})",
          ctx.channel().remoteAddress(), max);
      ByteBuf err = ctx.alloc().buffer();
      ErrorFields.of("FATAL", SqlState.TOO_MANY_CONNECTIONS, "no more connections allowed (max_client_conn)")
          .encode(err, MessageType.ERROR_RESPONSE);
      ctx.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
      refused = true;
      return;
    }
    long timeout = frontend.settings().general().clientLoginTimeout().toMillis();
    if (timeout > 0) {
      loginTimeout =
          ctx.executor()
              .schedule(
                  () -> {
                    if (ctx.channel().isActive() && ctx.pipeline().get(StartupHandler.class) != null) {
                      log.info("{}: closing because: client_login_timeout", ctx.channel().remoteAddress());
                      ctx.close();
                    }
                  },
                  timeout,
                  TimeUnit.MILLISECONDS);
    }
  }

  private void uncount() {
    if (counted) {
      counted = false;
      frontend.startingClosed();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    uncount();
    if (loginTimeout != null) {
      loginTimeout.cancel(false);
    }
    super.channelInactive(ctx);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) {
    uncount();
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (cancelRequested || refused) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!ctx.channel().isActive() || in.readableBytes() < 4) {
      return;
    }
    int length = in.getInt(in.readerIndex());
    if (length < 8 || length > StartupPacket.MAX_LENGTH) {
      reject(ctx, in, SqlState.PROTOCOL_VIOLATION, "invalid startup packet length " + length);
      return;
    }
    if (in.readableBytes() < length) {
      return;
    }
    StartupPacket packet;
    try {
      packet = StartupPacket.decode(in.readSlice(length));
    } catch (ProtocolException e) {
      reject(ctx, in, e.sqlState(), e.getMessage());
      return;
    }
    if (packet instanceof StartupPacket.SslRequest || packet instanceof StartupPacket.GssEncRequest) {
      // Each may be asked once, in either order, as libpq does with gssencmode and sslmode prefer.
      boolean ssl = packet instanceof StartupPacket.SslRequest;
      if (ssl ? sslAnswered : gssAnswered) {
        reject(ctx, in, SqlState.PROTOCOL_VIOLATION, (ssl ? "SSL" : "GSSAPI") + " encryption was already negotiated");
        return;
      }
      if (in.isReadable()) {
        // A client must wait for the answer before sending more: refuse what could be injected.
        reject(ctx, in, SqlState.PROTOCOL_VIOLATION, "received unencrypted data after SSL request");
        return;
      }
      if (ssl) {
        sslAnswered = true;
      } else {
        gssAnswered = true;
      }
      dev.breakwater.server.tls.Tls tls = frontend.tls();
      boolean encrypted = ctx.pipeline().get(SslHandler.class) != null;
      // A WebSocket or HTTP client is never offered TLS inside the stream (its transport has its own).
      if (ssl && !encrypted && tls != null && tls.offersClientTls() && EdgeClient.of(ctx.channel()) == null) {
        // 'S' leaves in the clear; everything after it is TLS.
        ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('S'));
        ctx.pipeline().addFirst("tls", tls.newClientHandler(ctx.alloc()));
      } else {
        ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('N'));
      }
    } else if (packet instanceof StartupPacket.CancelRequest cancel) {
      in.skipBytes(in.readableBytes());
      cancelRequested = true;
      if (loginTimeout != null) {
        loginTimeout.cancel(false);
      }
      // Closes the connection: at once, or once a peer took the request on.
      frontend.peerCancels().handle(ctx, cancel.processId(), cancel.secretKey());
    } else if (packet instanceof StartupPacket.StartupMessage startup) {
      dev.breakwater.server.tls.Tls tls = frontend.tls();
      // As in PgBouncer, a Unix socket client is exempt: it never crossed a network. (An edge
      // client's channel is in-process: whether it is encrypted is its HTTP connection's.)
      if (tls != null && tls.requiresClientTls() && !EdgeClient.encrypted(ctx.channel())
          && !(ctx.channel() instanceof io.netty.channel.unix.DomainSocketChannel)) {
        reject(ctx, in, SqlState.INVALID_AUTHORIZATION_SPECIFICATION, "SSL required");
        return;
      }
      if (loginTimeout != null) {
        loginTimeout.cancel(false);
      }
      // Counted as a client from here on (ClientLogin), no longer as a starting connection.
      uncount();
      ctx.pipeline().replace(this, "login", new ClientLogin(frontend, startup, connectedNanos));
    }
  }

  private void reject(ChannelHandlerContext ctx, ByteBuf in, String sqlState, String message) {
    log.warn("{}: closing because: {}", ctx.channel().remoteAddress(), dev.breakwater.server.LogText.escape(message));
    in.skipBytes(in.readableBytes());
    ByteBuf err = ctx.alloc().buffer();
    ErrorFields.of("FATAL", sqlState, message).encode(err, MessageType.ERROR_RESPONSE);
    ctx.writeAndFlush(err).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.info("{}: closing because: error before login: {}", ctx.channel().remoteAddress(), cause.toString());
    ctx.close();
  }
}
