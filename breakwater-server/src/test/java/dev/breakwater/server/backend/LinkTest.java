package dev.breakwater.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.ClientMemory;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.config.PoolMode;
import dev.breakwater.server.pool.Pool;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.DefaultEventLoop;
import io.netty.channel.EventLoop;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A link alone, without PostgreSQL: whatever the order of the client's reads and the server's
 * ReadyForQuerys, it lets the server go only at an idle ReadyForQuery with nothing due, nothing in
 * flight, the client synced and between messages, and nothing pinned or uncertain.
 */
class LinkTest {

  private DefaultEventLoop loop;
  private CountDownLatch gate;
  private ServerConnection server;

  @BeforeEach
  void setUp() {
    loop = new DefaultEventLoop();
    // A server that is never connected: its loop is held shut, so that batches handed to it stay
    // in flight until the test lets them arrive.
    server = new ServerConnection(null, new Pool(null, null, null, null), loop);
    hold();
  }

  @AfterEach
  void tearDown() throws Exception {
    gate.countDown();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private void hold() {
    CountDownLatch g = new CountDownLatch(1);
    gate = g;
    loop.execute(() -> {
      try {
        g.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
  }

  /** Lets every batch queued to the server's loop arrive, then holds the loop again. */
  private void drain() throws Exception {
    gate.countDown();
    loop.submit(() -> { }).get(5, TimeUnit.SECONDS);
    hold();
  }

  private static ByteBuf bytes() {
    return Unpooled.buffer(8).writeLong(17);
  }

  @Test
  void bytesReadWithNoServerAreKeptUntilOneIsLinked() {
    Client c = new Client();
    long before = ClientMemory.GLOBAL.used();
    assertThat(c.link.deliver(bytes(), 1, false, false)).isEqualTo(Link.Delivery.KEPT_ASK_POOL);
    assertThat(c.link.deliver(bytes(), 1, false, false)).isEqualTo(Link.Delivery.KEPT);
    assertThat(c.link.due()).isEqualTo(2);
    assertThat(ClientMemory.GLOBAL.used()).isEqualTo(before + 16);
    assertThat(c.link.attach(server)).isTrue();
    assertThat(c.linked).isTrue();
    ByteBuf kept = c.link.takePending();
    assertThat(kept.readableBytes()).isEqualTo(16);
    kept.release();
    assertThat(ClientMemory.GLOBAL.used()).isEqualTo(before);
    assertThat(c.link.due()).isEqualTo(2);
  }

  @Test
  void aClosedClientIsNeverLinked() {
    Client c = new Client();
    long before = ClientMemory.GLOBAL.used();
    c.link.deliver(bytes(), 1, false, false);
    assertThat(c.link.clientGone()).isNull();
    assertThat(ClientMemory.GLOBAL.used()).isEqualTo(before);
    assertThat(c.link.attach(server)).isFalse();
    ByteBuf late = bytes();
    assertThat(c.link.deliver(late, 1, false, false)).isEqualTo(Link.Delivery.CLOSED);
    assertThat(late.refCnt()).isZero();
  }

  @Test
  void aClientThatLeavesLinkedNamesItsServer() {
    Client c = new Client();
    c.link.attach(server);
    assertThat(c.link.clientGone()).isSameAs(server);
    assertThat(c.link.detach(server)).isTrue();
    assertThat(c.link.detach(server)).isFalse();
  }

  @Test
  void aClientThatLeavesUnsyncedClosesItsServer() {
    Client c = new Client();
    c.link.attach(server);
    c.link.deliver(null, 0, false, true);
    c.link.clientGone();
    c.link.detach(server);
    assertThat(c.link.onLeave(false, false, 0)).isEqualTo(ReleaseRule.OnLeave.CLOSE);
  }

  @Test
  void aClientThatLeavesWithRepliesDueCancels() {
    Client c = new Client();
    c.link.attach(server);
    c.link.deliver(null, 2, false, false);
    c.link.atReady(server, TransactionStatus.IDLE, PoolMode.TRANSACTION, false, false, 0, 1);
    c.link.clientGone();
    c.link.detach(server);
    assertThat(c.link.onLeave(false, false, 0)).isEqualTo(ReleaseRule.OnLeave.CANCEL_AND_CLOSE);
  }

  @Test
  void idleInATransactionOrUnsyncedIsTimed() throws Exception {
    Client c = new Client();
    c.link.attach(server);
    c.link.deliver(null, 1, false, false);
    c.link.atReady(server, TransactionStatus.IN_TRANSACTION, PoolMode.TRANSACTION, false, false, 0, 100);
    assertThat(c.link.idleInTransactionNanos(150)).isEqualTo(50);
    c.link.deliver(null, 0, false, true); // Parse, Bind, Execute, Flush: no reply due
    assertThat(c.link.idleInTransactionNanos(System.nanoTime())).isZero();
    c.link.readDone(); // the server answered them
    Thread.sleep(2);
    assertThat(c.link.idleInTransactionNanos(System.nanoTime())).isPositive();
    c.link.deliver(null, 0, true, true); // half a message: the server has part of it
    c.link.readDone();
    assertThat(c.link.idleInTransactionNanos(System.nanoTime())).isZero();
    c.link.deliver(null, 1, false, false); // Sync
    c.link.readDone();
    assertThat(c.link.idleInTransactionNanos(System.nanoTime())).isZero();
  }

  @Test
  void aReleaseEndsTheLink() {
    Client c = new Client();
    c.link.attach(server);
    c.link.deliver(null, 1, false, false);
    assertThat(c.link.atReady(server, TransactionStatus.IDLE, PoolMode.TRANSACTION, false, false, 0, 1))
        .isEqualTo(ReleaseRule.AtReady.RELEASE);
    assertThat(c.link.server()).isNull();
    assertThat(c.linked).isFalse();
    assertThat(c.link.due()).isZero();
    // Another ReadyForQuery from that server is no longer this link's business.
    assertThat(c.link.atReady(server, TransactionStatus.IDLE, PoolMode.TRANSACTION, false, false, 0, 1))
        .isEqualTo(ReleaseRule.AtReady.KEEP);
  }

  /**
   * Found by review: the link ends at a ReadyForQuery in the middle of the server's read, before
   * that read's last replies are written to the client; a notification written in between landed
   * inside them. Notifications wait until the read says its replies are written.
   */
  @Test
  void notificationsWaitForTheRepliesOfTheReadThatEndedTheLink() {
    Client c = new Client();
    assertThat(c.link.holdsNotifications()).isFalse();
    c.link.attach(server);
    assertThat(c.link.holdsNotifications()).isTrue();
    c.link.deliver(null, 1, false, false);
    assertThat(c.link.atReady(server, TransactionStatus.IDLE, PoolMode.TRANSACTION, false, false, 0, 1))
        .isEqualTo(ReleaseRule.AtReady.RELEASE);
    assertThat(c.link.server()).isNull();
    assertThat(c.link.holdsNotifications()).as("replies of that read not written yet").isTrue();
    c.link.repliesWritten();
    assertThat(c.link.holdsNotifications()).isFalse();
    // Linked and released again before the first read's flush: the notifications wait for both.
    c.link.attach(server);
    c.link.deliver(null, 1, false, false);
    c.link.atReady(server, TransactionStatus.IDLE, PoolMode.TRANSACTION, false, false, 0, 1);
    c.link.attach(server);
    c.link.deliver(null, 1, false, false);
    c.link.atReady(server, TransactionStatus.IDLE, PoolMode.TRANSACTION, false, false, 0, 1);
    c.link.repliesWritten();
    assertThat(c.link.holdsNotifications()).as("the second read's replies not written yet").isTrue();
    c.link.repliesWritten();
    assertThat(c.link.holdsNotifications()).isFalse();
  }

  /** Random sequences of the events a link sees; the model says what "done" is. */
  @Test
  void randomEventsNeverReleaseAnUnfinishedLink() throws Exception {
    Random r = new Random(17);
    for (int run = 0; run < 300; run++) {
      Client c = new Client();
      Link l = c.link;
      int due = 0;
      int inFlight = 0;
      boolean mid = false;
      boolean unsynced = false;
      boolean linked = false;
      for (int step = 0; step < 60; step++) {
        switch (r.nextInt(6)) {
          case 0, 1 -> { // the client reads
            int replies = r.nextInt(3);
            mid = r.nextInt(5) == 0;
            unsynced = r.nextInt(3) == 0;
            boolean withBytes = r.nextBoolean();
            Link.Delivery d = l.deliver(withBytes ? bytes() : null, replies, mid, unsynced);
            assertThat(d).isIn(linked ? Set.of(Link.Delivery.FORWARDED)
                : Set.of(Link.Delivery.KEPT, Link.Delivery.KEPT_ASK_POOL));
            due += replies;
            if (linked && withBytes) {
              inFlight++;
            }
          }
          case 2 -> { // the pool lends the server
            if (!linked) {
              assertThat(l.attach(server)).isTrue();
              ByteBuf kept = l.takePending();
              if (kept != null) {
                kept.release();
              }
              linked = true;
            }
          }
          case 3 -> { // the queued batches reach the server's loop
            drain();
            inFlight = 0;
          }
          default -> { // a ReadyForQuery
            if (!linked) {
              break;
            }
            TransactionStatus status = r.nextInt(3) == 0
                ? TransactionStatus.IN_TRANSACTION : TransactionStatus.IDLE;
            boolean pinned = r.nextInt(4) == 0;
            boolean uncertain = r.nextInt(4) == 0;
            int cancels = r.nextInt(5) == 0 ? 1 : 0;
            PoolMode mode = PoolMode.values()[r.nextInt(PoolMode.values().length)];
            ReleaseRule.AtReady v = l.atReady(server, status, mode, pinned, uncertain, cancels, step);
            due--;
            String seen = "due " + due + " inFlight " + inFlight + " mid " + mid + " unsynced "
                + unsynced + " " + status + " pinned " + pinned + " uncertain " + uncertain
                + " cancels " + cancels + " " + mode;
            if (v == ReleaseRule.AtReady.RELEASE || v == ReleaseRule.AtReady.CHECK_STATE) {
              assertThat(due <= 0 && inFlight == 0 && !mid && !unsynced
                      && status == TransactionStatus.IDLE && !pinned && cancels == 0
                      && mode != PoolMode.SESSION)
                  .as(seen).isTrue();
              assertThat(v == ReleaseRule.AtReady.CHECK_STATE).as(seen).isEqualTo(uncertain);
            }
            if (v == ReleaseRule.AtReady.REFUSE) {
              assertThat(mode == PoolMode.STATEMENT && status != TransactionStatus.IDLE).as(seen).isTrue();
            }
            if (v == ReleaseRule.AtReady.RELEASE || v == ReleaseRule.AtReady.REFUSE) {
              assertThat(l.server()).isNull();
              assertThat(c.linked).isFalse();
              linked = false;
              due = 0;
            } else {
              assertThat(l.server()).isSameAs(server);
            }
          }
        }
      }
      drain();
      ByteBuf kept = l.takePending();
      if (kept != null) {
        kept.release();
      }
    }
  }

  /** A client as its link sees it: only the link's callbacks do anything. */
  private static final class Client implements LinkedClient {
    final Link link = new Link(this);
    boolean linked;
    boolean waiting;

    @Override
    public Link link() {
      return link;
    }

    @Override
    public void linked() {
      linked = true;
      waiting = false;
    }

    @Override
    public void unlinked() {
      linked = false;
    }

    @Override
    public boolean startWaiting() {
      if (linked || waiting) {
        return false;
      }
      waiting = true;
      return true;
    }

    @Override
    public Channel channel() {
      return null;
    }

    @Override
    public EventLoop eventLoop() {
      return null;
    }

    @Override
    public boolean isClosed() {
      return false;
    }

    @Override
    public boolean isIdle() {
      return !linked && !waiting;
    }

    @Override
    public long lastActivityNanos() {
      return 0;
    }

    @Override
    public java.util.concurrent.CompletableFuture<Void> closeWithError(
        dev.breakwater.protocol.ErrorFields error, dev.breakwater.server.CloseReason reason) {
      return java.util.concurrent.CompletableFuture.completedFuture(null);
    }

    @Override
    public boolean isLoggingIn() {
      return false;
    }

    @Override
    public long waitStartedNanos() {
      return 0;
    }

    @Override
    public void waitStartedNanos(long now) {}

    @Override
    public void failWaiting(ErrorFields error, CloseReason reason) {}

    @Override
    public void welcome(Map<String, String> serverParameters) {}

    @Override
    public Map<String, String> reportedParameters() {
      return new HashMap<>();
    }

    @Override
    public Map<String, String> extraParameters() {
      return new HashMap<>();
    }

    @Override
    public Map<String, String> startupExtras() {
      return Map.of();
    }

    @Override
    public Map<String, String> parameterBaseWithoutExtras() {
      return null;
    }

    @Override
    public Map<String, String> ownParameters() {
      return null;
    }

    @Override
    public void pauseReading() {}

    @Override
    public void resumeReading() {}

    @Override
    public void onLinked() {}

    @Override
    public void flushNotifications() {}

    @Override
    public void serverLost(ServerConnection s, CloseReason reason, ErrorFields error) {}

    @Override
    public void serverLostMidMessage(ServerConnection s, CloseReason reason) {}

    @Override
    public void refuseTransaction() {}

    @Override
    public Set<String> listening() {
      return Set.of();
    }

    @Override
    public void listener(Listener l) {}

    @Override
    public void deliverNotification(ByteBuf message) {
      message.release();
    }

    @Override
    public ReplicationMode replication() {
      return ReplicationMode.NONE;
    }

    @Override
    public Map<String, String> replicationParameters() {
      return Map.of();
    }

    @Override
    public void replicationLinked(Map<String, String> serverParameters) {}

    @Override
    public void relayEnded(ErrorFields error) {}

    @Override
    public Map<String, PreparedStatements.Statement> statements() {
      return new HashMap<>();
    }
  }
}
