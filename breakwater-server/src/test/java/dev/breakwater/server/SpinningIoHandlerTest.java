package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoRegistration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpinningIoHandlerTest {

  /** Records whether each run was allowed to block, and reports the work it is told to. */
  private static final class Recording implements IoHandler {
    final List<Boolean> mayBlock = new ArrayList<>();
    int work;

    @Override
    public int run(IoHandlerContext context) {
      mayBlock.add(context.canBlock());
      return work;
    }

    @Override
    public IoRegistration register(IoHandle handle) {
      throw new UnsupportedOperationException();
    }

    @Override
    public void wakeup() {}

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
      return false;
    }
  }

  private static IoHandlerContext blockingContext() {
    return new IoHandlerContext() {
      @Override
      public boolean canBlock() {
        return true;
      }

      @Override
      public long delayNanos(long currentTimeNanos) {
        return Long.MAX_VALUE;
      }

      @Override
      public long deadlineNanos() {
        return -1;
      }
    };
  }

  private static IoHandler wrapped(Recording inner, long micros) {
    IoHandlerFactory f = executor -> inner;
    return SpinningIoHandler.wrap(f, micros).newHandler(null);
  }

  @Test
  void pollsWithoutBlockingRightAfterWorkThenBlocksOnceTheSpinIsOver() throws Exception {
    Recording inner = new Recording();
    IoHandler h = wrapped(inner, 200_000); // 200 ms: long enough not to run out on a slow machine
    inner.work = 1;
    h.run(blockingContext());
    inner.work = 0;
    h.run(blockingContext());
    h.run(blockingContext());
    assertThat(inner.mayBlock).as("within the spin after work: no blocking").containsExactly(false, false, false);

    IoHandler shortSpin = wrapped(inner = new Recording(), 1_000);
    inner.work = 1;
    shortSpin.run(blockingContext());
    Thread.sleep(5);
    inner.work = 0;
    shortSpin.run(blockingContext());
    assertThat(inner.mayBlock.get(1)).as("1 ms after the last work: it sleeps").isTrue();
  }

  @Test
  void aContextThatMayNotBlockIsPassedOnAsItIs() {
    Recording inner = new Recording();
    IoHandler h = wrapped(inner, 200_000);
    IoHandlerContext nonBlocking =
        new IoHandlerContext() {
          @Override
          public boolean canBlock() {
            return false;
          }

          @Override
          public long delayNanos(long currentTimeNanos) {
            return 0;
          }

          @Override
          public long deadlineNanos() {
            return -1;
          }
        };
    h.run(nonBlocking);
    assertThat(inner.mayBlock).containsExactly(false);
  }

  @Test
  void zeroTurnsItOffAndZeroIsTheDefault() {
    IoHandlerFactory f = executor -> new Recording();
    assertThat(SpinningIoHandler.wrap(f, 0)).isSameAs(f);
    assertThat(SpinningIoHandler.DEFAULT_MICROS).isZero();
  }
}
