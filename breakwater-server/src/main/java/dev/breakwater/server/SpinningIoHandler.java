package dev.breakwater.server;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;

/**
 * An event loop's I/O handler that polls without blocking for a short while after it last found
 * work, before it sleeps: a loop that is busy stays on its core instead of paying a sleep and a
 * wake-up for each message. Off unless {@code -Dbreakwater.spin_us} sets the while in
 * microseconds.
 *
 * <p>Off by default because its gain did not hold up (bench/README.md, "Comparing builds"): with
 * pgbench -S on two shared cores, 20 µs gave 7-17% more transactions per second at 10 clients in
 * three comparisons made while the machine was otherwise quiet, and nothing but more CPU per
 * transaction (10 µs of user time against 6) in two made while it was busy. 50 and 100 µs lost
 * throughput every time. It may suit a pooler with cores of its own.
 */
final class SpinningIoHandler implements IoHandler {

  static final long DEFAULT_MICROS = 0;

  private final IoHandler delegate;
  private final long spinNanos;
  private long lastWork = System.nanoTime();
  private NonBlocking nonBlocking;

  private SpinningIoHandler(IoHandler delegate, long spinNanos) {
    this.delegate = delegate;
    this.spinNanos = spinNanos;
  }

  /** The loops' factory with the spin that {@code -Dbreakwater.spin_us} asks for. */
  static IoHandlerFactory wrap(IoHandlerFactory factory) {
    return wrap(factory, Long.getLong("breakwater.spin_us", DEFAULT_MICROS));
  }

  static IoHandlerFactory wrap(IoHandlerFactory factory, long spinMicros) {
    if (spinMicros <= 0) {
      return factory;
    }
    long nanos = spinMicros * 1000;
    return new IoHandlerFactory() {
      @Override
      public IoHandler newHandler(io.netty.util.concurrent.ThreadAwareExecutor executor) {
        return new SpinningIoHandler(factory.newHandler(executor), nanos);
      }

      @Override
      public boolean isChangingThreadSupported() {
        return factory.isChangingThreadSupported();
      }
    };
  }

  @Override
  public int run(IoHandlerContext context) {
    int handled;
    if (context.canBlock() && System.nanoTime() - lastWork < spinNanos) {
      NonBlocking nb = nonBlocking;
      if (nb == null || nb.context() != context) {
        nonBlocking = nb = new NonBlocking(context); // the loop passes the same context each time
      }
      handled = delegate.run(nb);
    } else {
      handled = delegate.run(context);
    }
    if (handled > 0) {
      lastWork = System.nanoTime();
    }
    return handled;
  }

  @Override
  public void initialize() {
    delegate.initialize();
  }

  @Override
  public void prepareToDestroy() {
    delegate.prepareToDestroy();
  }

  @Override
  public void destroy() {
    delegate.destroy();
  }

  @Override
  public IoRegistration register(IoHandle handle) throws Exception {
    return delegate.register(handle);
  }

  @Override
  public void wakeup() {
    delegate.wakeup();
  }

  @Override
  public boolean isCompatible(Class<? extends IoHandle> handleType) {
    return delegate.isCompatible(handleType);
  }

  private record NonBlocking(IoHandlerContext context) implements IoHandlerContext {
    @Override
    public boolean canBlock() {
      return false;
    }

    @Override
    public long delayNanos(long currentTimeNanos) {
      return context.delayNanos(currentTimeNanos);
    }

    @Override
    public long deadlineNanos() {
      return context.deadlineNanos();
    }

    @Override
    public void reportActiveIoTime(long activeNanos) {
      context.reportActiveIoTime(activeNanos);
    }

    @Override
    public boolean shouldReportActiveIoTime() {
      return context.shouldReportActiveIoTime();
    }
  }
}
