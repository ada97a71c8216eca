package dev.breakwater.bench.jmh;

import io.netty.channel.AbstractChannel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelMetadata;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.DefaultChannelConfig;
import io.netty.channel.EventLoop;
import java.net.SocketAddress;

/** A channel that is never registered: it only tells which event loop its client is on. */
final class FakeChannel extends AbstractChannel {

  private final EventLoop loop;
  private final ChannelConfig config = new DefaultChannelConfig(this);

  FakeChannel(EventLoop loop) {
    super(null);
    this.loop = loop;
  }

  @Override
  public EventLoop eventLoop() {
    return loop;
  }

  @Override
  protected AbstractUnsafe newUnsafe() {
    return new AbstractUnsafe() {
      @Override
      public void connect(SocketAddress remote, SocketAddress local, io.netty.channel.ChannelPromise p) {
        p.setFailure(new UnsupportedOperationException());
      }
    };
  }

  @Override
  protected boolean isCompatible(EventLoop loop) {
    return false;
  }

  @Override
  protected SocketAddress localAddress0() {
    return null;
  }

  @Override
  protected SocketAddress remoteAddress0() {
    return null;
  }

  @Override
  protected void doBind(SocketAddress localAddress) {}

  @Override
  protected void doDisconnect() {}

  @Override
  protected void doClose() {}

  @Override
  protected void doBeginRead() {}

  @Override
  protected void doWrite(ChannelOutboundBuffer in) {}

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public boolean isActive() {
    return true;
  }

  @Override
  public ChannelMetadata metadata() {
    return new ChannelMetadata(false);
  }
}
