package dev.breakwater.server.backend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.pool.ServerState;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.config.PoolMode;
import dev.breakwater.server.pool.PoolSettings;
import io.netty.buffer.ByteBuf;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's side of one server: a client is lent it (after server_check_query when it idled
 * long), linked, has its parameters set, its bytes written in order (statement names mapped), and
 * leaves, the link deciding what the server is left in. On the server's loop only, except {@link
 * #forwardFromClient}, which its client's link calls.
 */
final class Requests {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

  private final ServerConnection s;

  Requests(ServerConnection s) {
    this.s = s;
  }

  void attach(LinkedClient c) {
    if (s.stateRef.get() == ServerState.CLOSED || s.closingReason != null) {
      s.pool.requeue(c);
      return;
    }
    if (c.isLoggingIn()) {
      // The client needs only the server's parameters to finish its login; all share one copy.
      s.pool.welcomeParameters(s.parameters.reported);
      c.welcome(s.pool.welcomeParameters());
      s.pool.release(s);
      return;
    }
    PoolSettings check = s.pool.settings();
    String checkQuery = check.serverCheckQuery();
    long delay = check.serverCheckDelay().toNanos();
    if (checkQuery != null
        && !checkQuery.isEmpty()
        && s.used
        && System.nanoTime() - s.idleSinceNanos > delay
        && !c.isClosed()) {
      // Idle long enough to doubt: test it before lending it. PgBouncer's "<empty>" sends an
      // empty query; an empty setting turns the check off.
      s.own.checkingFor = c;
      s.own.runInternal(OwnQueries.Internal.CHECK, List.of(checkQuery.equals("<empty>") ? "" : checkQuery));
      return;
    }
    link(c);
  }

  void link(LinkedClient c) {
    Link l = c.link();
    if (!l.attach(s)) {
      s.pool.release(s); // the client closed meanwhile
      return;
    }
    // Timings belong to the client: a new one starts with none (timeouts read them).
    s.queryStartNanos = 0;
    s.transactionStartNanos = 0;
    s.link = l;
    s.replies.quiet = false;
    s.used = true;
    // The client's parameters are changed only by its linked server's loop: this one, from now.
    String sync = s.parameters.syncFor(c);
    PoolSettings cfg = s.pool.settings();
    boolean trackSession = cfg.mode() != PoolMode.SESSION;
    s.mapper.modes(trackSession, trackSession && s.backend.maxPreparedStatements() > 0);
    if (sync != null) {
      s.own.writeSync(sync);
    }
    // Bytes the client delivers from now on are queued to this loop, behind these.
    ByteBuf pending = l.takePending();
    if (pending != null) {
      writeFromClient(c, pending);
    }
    s.channel.flush();
    s.channel.config().setAutoRead(true);
    long waitStarted = c.waitStartedNanos();
    s.pool.stats().assigned(waitStarted == 0 ? 0 : System.nanoTime() - waitStarted);
    c.onLinked();
  }

  /**
   * Bytes from the linked client, handed on by its {@link Link} under the link's monitor. They are
   * written on this server's loop, in order: at once when called there, else queued to it (true
   * returned: in flight until {@link Link#arrived}, and the server not released meanwhile).
   */
  boolean forwardFromClient(Link l, ByteBuf batch) {
    if (s.replicationFor != null) {
      if (s.loop.inEventLoop()) {
        s.relay.relayFromClient(l, batch);
      } else {
        s.loop.execute(() -> s.relay.relayFromClient(l, batch));
      }
      return false;
    }
    LinkedClient c = l.client();
    if (s.loop.inEventLoop()) {
      writeFromClient(c, batch);
      s.channel.flush();
      afterClientWrite(c);
      return false;
    }
    s.loop.execute(
        () -> {
          l.arrived();
          if (s.link != l || s.stateRef.get() == ServerState.CLOSED) {
            // The client closed meanwhile and this server was cleaned up: nothing to deliver.
            batch.release();
            return;
          }
          writeFromClient(c, batch);
          s.channel.flush();
          afterClientWrite(c);
        });
    return true;
  }

  /** Scans the client's bytes, rewriting statement names, and queues them for the server. */
  void writeFromClient(LinkedClient c, ByteBuf batch) {
    s.replies.quiet = false; // replies may be owed from now
    if (s.cancels.holds(c, batch)) {
      return;
    }
    s.pool.stats().received(batch.readableBytes());
    if (s.queryStartNanos == 0) {
      s.queryStartNanos = System.nanoTime();
      if (s.transactionStartNanos == 0) {
        s.transactionStartNanos = s.queryStartNanos;
      }
    }
    ByteBuf out;
    try {
      out = s.mapper.scan(c, batch);
    } catch (ProtocolException e) {
      log.warn("S-{}: bad message from {}: {}", s.id, c, e.getMessage());
      c.serverLost(s, CloseReason.CLIENT_PROTOCOL_VIOLATION,
          ErrorFields.of("FATAL", e.sqlState(), e.getMessage()));
      return;
    } catch (IndexOutOfBoundsException e) {
      // Every read is within one message: a field past its end is the client's malformed message.
      // Answered as one, rather than thrown on this loop with the client left waiting.
      log.warn("S-{}: malformed message from {}: {}", s.id, c, e.toString());
      c.serverLost(s, CloseReason.CLIENT_PROTOCOL_VIOLATION,
          ErrorFields.of("FATAL", dev.breakwater.protocol.SqlState.PROTOCOL_VIOLATION, "invalid message format"));
      return;
    }
    if (out != null) {
      s.channel.write(out, s.channel.voidPromise());
    }
  }

  void afterClientWrite(LinkedClient c) {
    ByteBuf fakes = s.mapper.fakesDue();
    if (fakes != null) {
      c.channel().writeAndFlush(fakes, c.channel().voidPromise());
    }
    if (!s.channel.isWritable()) {
      pauseReadingFrom(c);
    }
  }

  /**
   * Backpressure toward the client: it is read again on this server's writability event. If this
   * server drained (on its own loop) between the check and the pause, that event has already come
   * and gone, so the pause is undone here rather than left for an event that will not come.
   */
  void pauseReadingFrom(LinkedClient c) {
    c.pauseReading();
    if (s.channel.isWritable()) {
      c.resumeReading();
    }
  }

  /** The client closed. Called on this server's loop. */
  void onClientClosed(Link l) {
    if (!l.detach(s)) {
      return;
    }
    s.link = null;
    if (s.stateRef.get() == ServerState.CLOSED) {
      return;
    }
    if (s.replicationFor != null) {
      // A walsender is its client's alone: it goes with it, as PgBouncer closes it; told so by a
      // Terminate where the client's bytes ended between messages, so that it ends cleanly.
      if (!l.midMessage()) {
        ByteBuf x = s.channel.alloc().buffer(5);
        FrontendMessages.terminate(x);
        s.channel.writeAndFlush(x, s.channel.voidPromise());
      }
      s.close(CloseReason.REPLICATION_CLIENT_GONE);
      return;
    }
    boolean serverMidMessage = s.mapper.midForwardedMessage();
    // A message the client never finished never reached the server: forget it.
    s.mapper.forgetPartial();
    switch (l.onLeave(
        s.own.runsForClient(),
        serverMidMessage,
        s.cancels.cancelsInFlight)) {
      case CLOSE -> {
        if (serverMidMessage || s.cancels.cancelsInFlight > 0) {
          s.close(CloseReason.CLIENT_GONE_MID_QUERY);
        } else {
          // Parse, Bind, Execute... with no Sync after them: an implicit transaction may be open
          // (a Sync would commit what the client never confirmed), a BEGIN may have run, or an
          // error may have the server skipping input until a Sync. PostgreSQL itself rolls such
          // work back when its client goes; the server is closed, as PgBouncer closes it.
          log.info("S-{}: {} left with extended-protocol messages not synced: closing the server", s.id, l);
          s.close(CloseReason.CLIENT_GONE_UNSYNCED);
        }
      }
      case CANCEL_AND_CLOSE -> {
        // Stop the abandoned query rather than leave it running on a closed connection.
        s.cancels.sendCancel();
        s.close(CloseReason.CLIENT_GONE_MID_QUERY);
      }
      case CLEAN_UP -> s.own.cleanUpAndRelease(true);
    }
  }
}
