package dev.breakwater.bench.jmh;

import dev.breakwater.server.backend.ServerConnection;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.AbstractEventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An event loop that runs nothing. Each fake server has its own, so that when the pool lends the
 * server (it hands {@code attach(client)} to the server's loop) the benchmark learns which server
 * the calling thread now holds, and the task that would link it: both land in that thread's
 * {@link Handed}.
 */
final class FakeLoop extends AbstractEventExecutor implements EventLoop {

  /** What the calling thread was handed: servers to release, with the tasks that lent them. */
  static final class Handed {
    final List<ServerConnection> servers = new ArrayList<>();
    final List<Runnable> tasks = new ArrayList<>();
  }

  static final ThreadLocal<Handed> HANDED = ThreadLocal.withInitial(Handed::new);

  ServerConnection server;

  @Override
  public void execute(Runnable task) {
    if (server != null) {
      Handed h = HANDED.get();
      h.servers.add(server);
      h.tasks.add(task);
    }
  }

  @Override
  public EventLoopGroup parent() {
    return this;
  }

  @Override
  public EventLoop next() {
    return this;
  }

  @Override
  public boolean inEventLoop(Thread thread) {
    return false;
  }

  @Override
  public boolean isShuttingDown() {
    return false;
  }

  @Override
  public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
    return terminationFuture();
  }

  @Override
  public Future<?> terminationFuture() {
    return ImmediateEventExecutor.INSTANCE.newSucceededFuture(null);
  }

  @Override
  @Deprecated
  public void shutdown() {}

  @Override
  public boolean isShutdown() {
    return false;
  }

  @Override
  public boolean isTerminated() {
    return false;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return true;
  }

  @Override
  public ChannelFuture register(Channel channel) {
    throw new UnsupportedOperationException();
  }

  @Override
  public ChannelFuture register(ChannelPromise promise) {
    throw new UnsupportedOperationException();
  }

  @Override
  @Deprecated
  public ChannelFuture register(Channel channel, ChannelPromise promise) {
    throw new UnsupportedOperationException();
  }
}
