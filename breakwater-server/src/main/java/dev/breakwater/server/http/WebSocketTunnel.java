package dev.breakwater.server.http;

import dev.breakwater.server.frontend.EdgeClient;
import dev.breakwater.server.frontend.Frontend;
import dev.breakwater.server.frontend.StartupHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * The WebSocket endpoint {@code /v2}: once the upgrade is done, the connection's binary frames are
 * one byte stream in each direction carrying the PostgreSQL protocol, handed to exactly the
 * pipeline a TCP client gets ({@link StartupHandler}, then a {@code ClientConnection}). The
 * connection is marked an {@link EdgeClient}, so its login asks for a cleartext password, which
 * Neon's driver sends before it is asked. The {@code address} the driver puts in the URL is never
 * used: the client is served from the pooler's own pools.
 *
 * <p>Ping is answered by Netty's WebSocket handler; a close frame is answered at once and ends the
 * client as a TCP close would; when the pooler closes the client a close frame (1000) goes first.
 */
final class WebSocketTunnel extends ChannelDuplexHandler {

  private final Frontend frontend;
  private boolean upgraded;
  private boolean closeSent;

  WebSocketTunnel(Frontend frontend) {
    this.frontend = frontend;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
      upgraded = true;
      var p = ctx.pipeline();
      if (p.get("idle") != null) {
        p.remove("idle");
      }
      if (p.get("api") != null) {
        p.remove("api");
      }
      EdgeClient.mark(ctx.channel(), EdgeClient.Kind.WS, ctx.channel().remoteAddress(),
          p.get(io.netty.handler.ssl.SslHandler.class) != null);
      p.addLast("startup", new StartupHandler(frontend));
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (!upgraded || !(msg instanceof WebSocketFrame frame)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (frame instanceof BinaryWebSocketFrame || frame instanceof ContinuationWebSocketFrame) {
      ByteBuf bytes = frame.content().retain();
      frame.release();
      if (bytes.isReadable()) {
        ctx.fireChannelRead(bytes);
      } else {
        bytes.release();
      }
    } else if (frame instanceof CloseWebSocketFrame close) {
      int status = close.statusCode();
      close.release();
      sendClose(ctx, status > 0 ? new WebSocketCloseStatus(status, "") : WebSocketCloseStatus.NORMAL_CLOSURE);
    } else if (frame instanceof TextWebSocketFrame) {
      frame.release();
      sendClose(ctx, new WebSocketCloseStatus(1003, "text frames are not supported: send binary frames"));
    } else {
      ReferenceCountUtil.release(frame);
    }
  }

  private void sendClose(ChannelHandlerContext ctx, WebSocketCloseStatus status) {
    if (closeSent) {
      return;
    }
    closeSent = true;
    ctx.writeAndFlush(new CloseWebSocketFrame(status)).addListener(ChannelFutureListener.CLOSE);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    if (upgraded && msg instanceof ByteBuf bytes) {
      ctx.write(new BinaryWebSocketFrame(bytes), promise);
      return;
    }
    ctx.write(msg, promise);
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) throws Exception {
    if (upgraded && !closeSent && ctx.channel().isActive()) {
      closeSent = true;
      ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
          .addListener(f -> ctx.close(promise));
      return;
    }
    ctx.close(promise);
  }
}
