package dev.breakwater.server.backend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.pool.ServerState;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.pool.PoolSettings;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancel requests for what runs on one server: a client's CancelRequest, query_timeout's, and the
 * cancel of a query its client abandoned. While one is on its way the server is not lent on, and
 * the client's next bytes wait for it (a cancel could otherwise reach the next query). On the
 * server's loop, except the two entry points, which queue themselves there.
 */
final class Cancels {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

  private final ServerConnection s;

  Cancels(ServerConnection s) {
    this.s = s;
  }

  /** The start of the query query_timeout last cancelled: each query is cancelled once. */
  private volatile long cancelledQueryStart;
  /** Cancel requests sent for this server whose connection PostgreSQL has not closed yet. */
  int cancelsInFlight;
  /** The client's bytes that wait for a cancel to be taken (see {@link #holds}), or null. */
  private Outbox heldForCancel;

  /**
   * Whether the client's {@code batch} must wait (it is kept, and the client not read meanwhile):
   * a cancel is on its way to PostgreSQL and the query it was sent for is over, so the client's
   * next query waits until PostgreSQL has taken the cancel (it closes the cancel's connection,
   * CANCEL_WAIT_MILLIS at most), or the cancel could reach it ({@link #cancelDone} sends it on).
   */
  boolean holds(LinkedClient c, ByteBuf batch) {
    if ((cancelsInFlight == 0 || s.queryStartNanos != 0)
        && (heldForCancel == null || heldForCancel.isEmpty())) {
      return false;
    }
    if (heldForCancel == null) {
      heldForCancel = new Outbox(s.channel.alloc());
    }
    heldForCancel.add(batch);
    c.pauseReading();
    return true;
  }

  /** The server closes: what waited for a cancel is dropped. */
  void clear() {
    if (heldForCancel != null) {
      heldForCancel.clear();
    }
  }

  /** query_timeout: cancels the running query, once, if it still runs when this loop gets to it. */
  public void cancelForTimeout() {
    long started = s.queryStartNanos;
    if (started == 0 || cancelledQueryStart == started) {
      return;
    }
    cancelledQueryStart = started;
    Link l = s.link;
    s.loop.execute(() -> {
      if (s.link != l || l == null || s.queryStartNanos != started || started == 0) {
        return; // that query is over: the server may serve another client's by now
      }
      log.info("S-{}: cancelling a query of {} that ran past query_timeout", s.id, l);
      sendCancel();
    });
  }

  /**
   * A client's CancelRequest, from any thread: forwarded only if, on this server's loop, the
   * server is still {@code requester}'s, so that it can never reach another client's query; and
   * the server stays with its client until PostgreSQL has taken the cancel.
   */
  public void cancelFor(Link requester) {
    s.loop.execute(() -> {
      if (s.link != requester || s.stateRef.get() == ServerState.CLOSED) {
        log.debug("S-{}: cancel request of {} dropped: its server is no longer its", s.id, requester);
        return;
      }
      sendCancel();
    });
  }

  /** The error ends the query that query_timeout cancelled. */
  boolean cancelledForTimeout(ErrorFields error) {
    return s.queryStartNanos != 0
        && cancelledQueryStart == s.queryStartNanos
        && SqlState.QUERY_CANCELED.equals(error.sqlState());
  }

  /** PostgreSQL's "canceling statement due to user request", told as query_timeout's doing. */
  static ErrorFields queryTimeoutError(ErrorFields fromServer) {
    java.util.Map<Character, String> f =
        new java.util.LinkedHashMap<>(
            ErrorFields.of(
                    fromServer.severity(),
                    SqlState.QUERY_CANCELED,
                    "canceling statement due to query timeout (query_timeout)")
                .fields());
    f.put(ErrorFields.DETAIL, "The query ran longer than query_timeout; the pooler cancelled it.");
    return new ErrorFields(f);
  }

  /** Whether this server's connection is encrypted (server_tls_sslmode): its cancels are too. */
  private boolean encrypted() {
    Channel ch = s.channel;
    return ch != null && ch.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null;
  }

  /**
   * Cancels what runs on this server, over a connection of its own, encrypted when this server's
   * is (as libpq 17 does), so that the backend's key does not cross the network in the clear; on
   * this server's loop.
   */
  void sendCancel() {
    PoolSettings cfg = s.pool.settings();
    cancelsInFlight++;
    s.backend
        .cancel(s.loop, s.host, cfg.serverPort(), s.backendPid, s.backendSecret, encrypted())
        .addListener(f -> cancelDone());
  }

  /** A cancel was taken: the server may go back to the pool now if its link is done. */
  private void cancelDone() {
    cancelsInFlight--;
    Link l = s.link;
    LinkedClient c = l == null ? null : l.client();
    if (cancelsInFlight == 0 && heldForCancel != null && !heldForCancel.isEmpty()) {
      ByteBuf held = heldForCancel.take();
      if (c == null || s.stateRef.get() == ServerState.CLOSED) {
        held.release();
      } else {
        // The client's bytes that waited for the cancel go on now, then it is read again.
        c.resumeReading();
        s.requests.writeFromClient(c, held);
        s.channel.flush();
        s.requests.afterClientWrite(c);
      }
    }
    if (cancelsInFlight > 0 || c == null || s.stateRef.get() == ServerState.CLOSED || s.own.running()
        || s.replicationFor != null) {
      return;
    }
    s.replies.reconsider(l);
    s.replies.finishRead();
  }

}
