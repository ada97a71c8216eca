package dev.breakwater.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * SUSPEND on one connection: reading stops, and what a read already under way brings in (Netty may
 * read once more after auto-read is turned off) is held at the head of the pipeline, unread by
 * Breakwater, until RESUME hands it on in order.
 */
final class SuspendGate extends ChannelInboundHandlerAdapter {

  private static final String NAME = "suspend-gate";

  private final List<Object> held = new ArrayList<>();

  /** Stops reading from {@code ch}; from any thread. */
  static void close(Channel ch) {
    ch.eventLoop().execute(() -> {
      ch.config().setAutoRead(false);
      if (ch.isActive() && ch.pipeline().get(NAME) == null) {
        ch.pipeline().addFirst(NAME, new SuspendGate());
      }
    });
  }

  /** Hands on what was held and reads again; from any thread. */
  static void open(Channel ch) {
    ch.eventLoop().execute(() -> {
      if (ch.pipeline().get(NAME) != null) {
        ch.pipeline().remove(NAME);
      }
      if (ch.isActive()) {
        ch.config().setAutoRead(true);
      }
    });
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    held.add(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Held: the reads it completes have not been handed on.
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    for (Object m : held) {
      ReferenceCountUtil.release(m);
    }
    held.clear();
    super.channelInactive(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (held.isEmpty()) {
      return;
    }
    for (Object m : held) {
      ctx.fireChannelRead(m);
    }
    held.clear();
    ctx.fireChannelReadComplete();
  }
}
