package dev.breakwater.server.backend;

import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.ClientMemory;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.config.PoolMode;
import io.netty.buffer.ByteBuf;

/**
 * One client's use of a server: the server it holds now (or none), what it sent while it held
 * none, the replies it still expects, its bytes on their way to the server's loop, where its
 * messages stand (mid message, extended-protocol messages since the last Sync), and the
 * transaction status its server last reported. It decides, through {@link ReleaseRule}, whether
 * the link ends at a ReadyForQuery, and what a server is left in when its client goes.
 *
 * <p>One per client, made with it and kept for its life: linking and unlinking allocate nothing.
 *
 * <p>Locking: every field is guarded by this object's monitor, which its methods take; nothing
 * blocks while it is held (Netty writes, queued tasks, and the client's callbacks, which only set
 * fields). The client's loop takes it to hand bytes on ({@link #deliver}), when the client closes
 * ({@link #clientGone}), and once at the end of its login, to set its state with the link's; the
 * server's loop takes it to make the link ({@link #attach}), at each ReadyForQuery ({@link
 * #atReady}, {@link #reconsider}), when a batch arrives ({@link #arrived}) and when the link ends
 * otherwise ({@link #detach}). {@link #server} and the idle-in-transaction clocks are volatile as
 * well, for views, the janitor and backpressure, which read them without the monitor. One field is
 * the server's loop's alone: {@link #nothingAfterReady}, written in {@link #atReady} and read
 * right after it, on that loop, without the monitor. A pool's lock never nests with it.
 */
public final class Link {

  /** Stop reading a client that has this much kept while it waits for a server. */
  static final int MAX_PENDING = 1 << 20;

  /** What became of bytes the client read. */
  public enum Delivery {
    /** The client is closed: dropped. */
    CLOSED,
    /** On their way to the linked server. */
    FORWARDED,
    /** Kept until a server is linked. */
    KEPT,
    /** Kept, and the client must now ask its pool for a server. */
    KEPT_ASK_POOL,
    /** Not kept: the pooler holds as much for clients as it may (ClientMemory). */
    OVER_BUDGET
  }

  private final LinkedClient client;
  private volatile ServerConnection server;
  private boolean closed;
  /** The client's bytes kept while no server is linked, and their size. */
  private Outbox pending;
  private int pendingBytes;
  /** ReadyForQuerys the client still expects (for bytes kept, or sent to its server). */
  private int due;
  /** Batches of the client's bytes queued to the server's loop and not yet written. */
  private int inFlight;
  /** The client's last bytes ended inside a message: its server has part of it. */
  private boolean midMessage;
  /**
   * The client sent extended-protocol messages since its last Sync or Query. Volatile: the
   * server's loop reads it after each read without the monitor ({@link #readDone}).
   */
  private volatile boolean unsynced;
  /** What the linked server's last ReadyForQuery said. */
  private TransactionStatus status = TransactionStatus.IDLE;
  /**
   * Links ended at a ReadyForQuery in the middle of a server read whose last replies (that
   * ReadyForQuery among them) are still to be written to the client: a notification written now
   * would land inside them. One per such read, taken back by {@link #repliesWritten} (a count, not
   * a flag: the client may be linked and released again before the first read's flush is done).
   */
  private int repliesUnwritten;
  /** The replies still due after the last ReadyForQuery (before the link ended at it). */
  private int dueAfterReady;
  /**
   * At the last ReadyForQuery the client had nothing on its way: no reply due, nothing unsynced,
   * no bytes in flight. Written and read on the server's loop only.
   */
  private boolean nothingAfterReady;
  /** When the client went idle in a transaction (0: it is not), for idle_transaction_timeout. */
  private volatile long idleInTransactionSince;
  /** The end of the server's last read while the client was unsynced, 0 once it sent more. */
  private volatile long unsyncedSince;

  public Link(LinkedClient client) {
    this.client = client;
  }

  public LinkedClient client() {
    return client;
  }

  /** The server linked now, or null. */
  public ServerConnection server() {
    return server;
  }

  // ---- The client's side ----

  /**
   * On the client's loop: the bytes of one read ({@code batch}, or null), the ReadyForQuerys they
   * ask for, and where the client's messages stand after them. They go to the linked server, or are
   * kept for the next one.
   */
  public synchronized Delivery deliver(
      ByteBuf batch, int replies, boolean midMessage, boolean unsynced) {
    if (closed) {
      if (batch != null) {
        batch.release();
      }
      return Delivery.CLOSED;
    }
    this.midMessage = midMessage;
    this.unsynced = unsynced;
    idleInTransactionSince = 0;
    unsyncedSince = 0;
    ServerConnection s = server;
    if (s != null) {
      if (!s.isReplication()) { // a relay counts nothing: it is never released
        due += replies;
      }
      if (batch != null && s.forwardFromClient(this, batch)) {
        inFlight++;
      }
      return Delivery.FORWARDED;
    }
    if (batch != null && !ClientMemory.GLOBAL.reserve(batch.readableBytes())) {
      // Kept while waiting for a server: all clients together hold at most the budget.
      batch.release();
      return Delivery.OVER_BUDGET;
    }
    if (batch != null) {
      if (pending == null) {
        pending = new Outbox(batch.alloc());
      }
      pendingBytes += batch.readableBytes();
      pending.add(batch);
    }
    due += replies;
    return client.startWaiting() ? Delivery.KEPT_ASK_POOL : Delivery.KEPT;
  }

  /** More is kept for the client than it may hold while it waits: stop reading it. */
  public synchronized boolean full() {
    return pendingBytes > MAX_PENDING;
  }

  /**
   * The client closed: nothing more is linked or kept. Returns the server linked now, which must
   * be told ({@link ServerConnection#onClientClosed}), or null.
   */
  public synchronized ServerConnection clientGone() {
    closed = true;
    if (pending != null) {
      pending.clear();
      pending = null;
    }
    ClientMemory.GLOBAL.release(pendingBytes);
    pendingBytes = 0;
    return server;
  }

  // ---- The server's side, on its loop ----

  /** The link is made, unless the client closed meanwhile. */
  synchronized boolean attach(ServerConnection s) {
    if (closed) {
      return false;
    }
    server = s;
    idleInTransactionSince = 0;
    unsyncedSince = 0;
    client.linked();
    return true;
  }

  /** The bytes kept while there was no server, now the linked server's to write first. */
  synchronized ByteBuf takePending() {
    if (pending == null) {
      return null;
    }
    ByteBuf b = pending.take();
    ClientMemory.GLOBAL.release(pendingBytes);
    pendingBytes = 0;
    return b;
  }

  /**
   * PostgreSQL skipped {@code n} of the client's Syncs (sent in copy-in mode, see {@link
   * CopySyncs}): their ReadyForQuerys will not come.
   */
  synchronized void syncsSkipped(int n) {
    due -= n;
  }

  /** A batch queued by {@link #deliver} reached the server's loop. */
  synchronized void arrived() {
    inFlight--;
  }

  /**
   * A ReadyForQuery for the client, from {@code s}: one reply fewer is due, and the link ends
   * when the rule says so (RELEASE, REFUSE), in which case the client is unlinked now.
   *
   * @param pinned the server's session holds something of the client's
   * @param uncertain the session state is not known (read it back before release)
   * @param cancelsInFlight cancels for {@code s} PostgreSQL has not taken yet
   */
  synchronized ReleaseRule.AtReady atReady(
      ServerConnection s, TransactionStatus status, PoolMode mode, boolean pinned,
      boolean uncertain, int cancelsInFlight, long now) {
    if (server != s) {
      return ReleaseRule.AtReady.KEEP;
    }
    this.status = status;
    due--;
    dueAfterReady = due;
    nothingAfterReady = due <= 0 && !unsynced && inFlight == 0;
    // Idle in a transaction: the client has nothing running and nothing on its way.
    idleInTransactionSince = status != TransactionStatus.IDLE && due <= 0 ? now : 0;
    ReleaseRule.AtReady verdict =
        ReleaseRule.atReady(state(cancelsInFlight), mode != PoolMode.SESSION,
            mode == PoolMode.STATEMENT, pinned, uncertain);
    if (verdict == ReleaseRule.AtReady.RELEASE || verdict == ReleaseRule.AtReady.REFUSE) {
      unlink();
      repliesUnwritten++;
    }
    return verdict;
  }

  /**
   * Between ReadyForQuerys (a state check or a cancel just ended): whether the link may end now,
   * by the same rule and the status last seen; unlinked now when it does (RELEASE).
   */
  synchronized ReleaseRule.AtReady reconsider(
      ServerConnection s, boolean transactionMode, boolean pinned, boolean uncertain,
      int cancelsInFlight) {
    if (server != s) {
      return ReleaseRule.AtReady.KEEP;
    }
    ReleaseRule.AtReady verdict =
        ReleaseRule.atReady(state(cancelsInFlight), transactionMode, false, pinned, uncertain);
    if (verdict == ReleaseRule.AtReady.RELEASE) {
      unlink();
      repliesUnwritten++;
    }
    return verdict;
  }

  /** The server's read that ended the link has written its replies to the client (server's loop). */
  synchronized void repliesWritten() {
    repliesUnwritten--;
  }

  /**
   * Whether a notification for the client must wait: a server is linked (it would land inside a
   * reply), or the link just ended and the last replies are not written yet. Called with the
   * client's monitor held (the order is always the client's, then the link's).
   */
  public synchronized boolean holdsNotifications() {
    return server != null || repliesUnwritten > 0;
  }

  /** The replies still due after the last ReadyForQuery. */
  synchronized int dueAfterReady() {
    return dueAfterReady;
  }

  /**
   * On the server's loop, after {@link #atReady}: whether the client then had nothing on its way,
   * so that the server, until sent more, owes it no reply.
   */
  boolean nothingAfterReady() {
    return nothingAfterReady;
  }

  /** Replies the client still expects. */
  synchronized int due() {
    return due;
  }

  /**
   * The link to {@code s} ends for any reason but a ReadyForQuery (the server closes, the client
   * left): false when it had ended already. The client goes too, so what was due is kept for
   * {@link #onLeave}.
   */
  synchronized boolean detach(ServerConnection s) {
    if (server != s) {
      return false;
    }
    int stillDue = due;
    unlink();
    due = stillDue;
    return true;
  }

  /**
   * The client left while linked to {@code s} (after {@link #detach}): what its server is left in.
   *
   * @param ownQueryRunning Breakwater's own query for the client (its settings, a state check) runs
   * @param serverMidMessage the server has part of a client message
   */
  synchronized ReleaseRule.OnLeave onLeave(
      boolean ownQueryRunning, boolean serverMidMessage, int cancelsInFlight) {
    return ReleaseRule.onLeave(due, ownQueryRunning, serverMidMessage, unsynced, cancelsInFlight > 0);
  }

  /** The client's last bytes ended inside a message. */
  synchronized boolean midMessage() {
    return midMessage;
  }

  /**
   * Runs {@code close} if {@code s} is still linked with nothing due: no query of the client's can
   * be on its way meanwhile (server_fast_close).
   */
  synchronized void ifQuiet(ServerConnection s, Runnable close) {
    if (server == s && due == 0) {
      close.run();
    }
  }

  // ---- idle_transaction_timeout ----

  /**
   * The server's read ended: a client with extended-protocol messages not synced may be idle from
   * now (see {@link #idleInTransactionNanos}). On the server's loop, without the monitor.
   */
  void readDone() {
    if (unsynced) {
      unsyncedSince = System.nanoTime();
    }
  }

  /**
   * How long the client has sat idle in a transaction, or 0: after a ReadyForQuery that left a
   * transaction open, or, with extended-protocol messages not synced (PgBouncer counts that too),
   * since the server's last read when no reply is due, nothing is in flight and the client has sent
   * nothing since. From the pool's maintenance, without the pool's lock.
   */
  public long idleInTransactionNanos(long now) {
    long t = idleInTransactionSince;
    if (t != 0) {
      return now - t;
    }
    t = unsyncedSince;
    if (t == 0 || !unsynced) {
      return 0;
    }
    synchronized (this) {
      if (server == null || due > 0 || inFlight > 0 || midMessage || unsyncedSince != t) {
        return 0;
      }
    }
    return now - t;
  }

  // ---- Internals ----

  private ReleaseRule.State state(int cancelsInFlight) {
    return new ReleaseRule.State(
        due, inFlight, status == TransactionStatus.IDLE, midMessage, unsynced, cancelsInFlight);
  }

  private void unlink() {
    server = null;
    due = 0;
    status = TransactionStatus.IDLE;
    idleInTransactionSince = 0;
    unsyncedSince = 0;
    client.unlinked();
  }

  @Override
  public String toString() {
    return String.valueOf(client);
  }
}
