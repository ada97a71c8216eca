package dev.breakwater.server.pool;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Which waiting client a released server goes to, and which loop a new server is opened on. */
class WaiterOrderTest {

  private static final EventLoop A = new DefaultEventLoop();
  private static final EventLoop B = new DefaultEventLoop();

  @AfterAll
  static void stop() {
    A.shutdownGracefully();
    B.shutdownGracefully();
  }

  record Waiter(String name, EventLoop eventLoop, long waitStartedNanos) implements Borrower {
    @Override
    public boolean isClosed() {
      return false;
    }

    @Override
    public void waitStartedNanos(long now) {}

    @Override
    public void failWaiting(ErrorFields error, CloseReason reason) {}
  }

  private static ArrayDeque<Borrower> line(Waiter... waiters) {
    return new ArrayDeque<>(java.util.List.of(waiters));
  }

  @Test
  void theFirstInLineWhenItIsOnTheServersLoop() {
    ArrayDeque<Borrower> q = line(new Waiter("a1", A, 0), new Waiter("b1", B, 10));
    assertThat(WaitingLine.nextWaiter(q, A)).extracting("name").isEqualTo("a1");
    assertThat(q).hasSize(1);
  }

  @Test
  void aClientOnTheServersLoopThatCameWithinAMillisecondGoesFirst() {
    ArrayDeque<Borrower> q =
        line(new Waiter("a1", A, 0), new Waiter("a2", A, 200_000), new Waiter("b1", B, 300_000));
    assertThat(WaitingLine.nextWaiter(q, B)).extracting("name").isEqualTo("b1");
    assertThat(q).extracting("name").containsExactly("a1", "a2");
  }

  @Test
  void onlyWithinAMillisecondOfTheFirst() {
    ArrayDeque<Borrower> q = line(new Waiter("a1", A, 0), new Waiter("b1", B, 1_000_001));
    assertThat(WaitingLine.nextWaiter(q, B)).extracting("name").isEqualTo("a1");
  }

  @Test
  void onlyAFewPlacesDownTheLine() {
    ArrayDeque<Borrower> q = new ArrayDeque<>();
    for (int i = 0; i < 8; i++) {
      q.add(new Waiter("a" + i, A, i));
    }
    q.add(new Waiter("b1", B, 9));
    assertThat(WaitingLine.nextWaiter(q, B)).extracting("name").isEqualTo("a0");
  }

  @Test
  void nobodyWaiting() {
    assertThat(WaitingLine.nextWaiter(new ArrayDeque<>(), A)).isNull();
  }

  @Test
  void newServersAreForTheWaitersThatNoServerLoggingInCovers() {
    // A burst: clients alternate loops; two servers are already logging in for a1 and b1.
    ArrayDeque<Borrower> q =
        line(new Waiter("a1", A, 0), new Waiter("b1", B, 1), new Waiter("a2", A, 2), new Waiter("b2", B, 3));
    java.util.List<EventLoop> loops = new java.util.ArrayList<>();
    WaitingLine.uncovered(q, 2).forEachRemaining(w -> loops.add(w.eventLoop()));
    assertThat(loops).containsExactly(A, B);
    assertThat(q).hasSize(4);
  }

  @Test
  void moreServersLoggingInThanWaiters() {
    ArrayDeque<Borrower> q = line(new Waiter("a1", A, 0));
    assertThat(WaitingLine.uncovered(q, 3).hasNext()).isFalse();
  }
}
