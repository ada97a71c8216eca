package dev.breakwater.server.backend;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.pool.ServerState;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.config.PoolMode;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server's replies on their way to the linked client: read by headers, the few the pooler
 * needs read whole (ReadyForQuery, ParameterStatus, ErrorResponse, notifications), batched into one
 * write per read. At each ReadyForQuery for the client it asks the link whether the link ends, and
 * once the read is done gives the server back (cleaned first if need be). On the server's loop only.
 */
final class Replies implements FrameScanner.Handler {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

  private final ServerConnection s;

  Replies(ServerConnection s) {
    this.s = s;
  }

  /** Messages of the current read dropped because no client was linked, and the first's type. */
  private int droppedInRead;
  private byte firstDroppedType;

  /** What to do once the current read is done. */
  enum AfterRead {
    NOTHING,
    /** The client's transaction ended: back to the pool. */
    RELEASE,
    /** The client was refused a transaction (statement mode): roll it back, then back to the pool. */
    ROLLBACK,
    /** The client's session state is uncertain: read it back before the server may go. */
    CHECK_STATE,
    /** One of Breakwater's own queries (a reset, a lookup) is done: back to the pool as it is. */
    RETURN,
    /** server_check_query passed: the server goes to the client it was checked for. */
    LINK,
    /** connect_query is done: the server is ready for clients. */
    READY,
  }

  /** The client the current read's forwarded bytes go to. */
  LinkedClient readTarget;
  /** A ReadyForQuery waiting for the shared connection's LISTEN (see onReadyForQuery). */
  ByteBuf heldReadyForQuery;
  /**
   * The linked client had nothing on its way at its last ReadyForQuery, and nothing of its has
   * been written to the server since: the server owes no reply, so only what PostgreSQL sends
   * unasked (ParameterStatus, NoticeResponse, NotificationResponse, a FATAL error) may come. Anything
   * else is a broken server's, whose replies can no longer be matched to requests.
   */
  boolean quiet;
  /** The client whose transaction ended in this read: its queued notifications follow the Z. */
  private LinkedClient releasedClient;
  AfterRead afterRead = AfterRead.NOTHING;

  /** One read of the server's bytes (owned by the callee), then what the read decided. */
  void read(ByteBuf in) {
    try {
      while (s.stateRef.get() != ServerState.CLOSED) {
        readTarget = s.client();
        boolean done = s.scanner.scan(in, this);
        if (s.stateRef.get() == ServerState.CLOSED) {
          // Closed by a message of this read (a failed check, reset or parameter sync, a refused
          // transaction): closeNow paused the scan after it and released what it kept; what it
          // handed on goes nowhere.
          readTarget = null;
        }
        flushToClient();
        if (done || s.closingReason == CloseReason.SERVER_FATAL) {
          break; // after a FATAL error PostgreSQL sends nothing: the rest of a read is nobody's
        }
      }
    } catch (ProtocolException e) {
      // The login is ServerLoginHandler's: what reaches this handler comes after it.
      log.warn("S-{}: {} broke the protocol: {}", s.id, s.where(), e.getMessage());
      failRead(CloseReason.SERVER_PROTOCOL_VIOLATION);
    } catch (IndexOutOfBoundsException e) {
      // Every message is read within its own bytes: a field past its end is a malformed message.
      // With the stack: a pooler's own out-of-bounds read would look the same.
      log.warn("S-{}: {} broke the protocol: malformed message", s.id, s.where(), e);
      failRead(CloseReason.SERVER_PROTOCOL_VIOLATION);
    } catch (RuntimeException e) {
      // The pooler's own bug: what the server and its client were told is unknown, so both go.
      log.error("S-{}: internal error reading what {} sent", s.id, s.where(), e);
      failRead(CloseReason.INTERNAL_ERROR);
    } finally {
      in.release();
    }
    logDropped();
    Link l = s.link;
    if (l != null) {
      l.readDone(); // idle_transaction_timeout counts unsynced clients too
    }
    finishRead();
  }

  /**
   * The read ends the server. What the outbox holds goes to its client first: the messages before
   * the faulty one (a handler that throws hands them on first), so the error the close sends the
   * client follows whole messages; dropped, they could have left the client with the first part of
   * a message whose rest was among them. A client this read released gets the rest of its replies
   * so, and {@link #finishRead} finishes with it as usual.
   */
  private void failRead(CloseReason reason) {
    if (s.stateRef.get() == ServerState.CLOSED) {
      readTarget = null; // closed earlier in the read: nothing after that goes to a client
    }
    flushToClient();
    afterRead = AfterRead.NOTHING;
    s.closeNow(reason, s.unseenFatal); // a FATAL error of an own query's, earlier in the read
  }

  /**
   * Between ReadyForQuerys (a state check or a cancel just ended): whether the link may end now,
   * by the same rule; what follows runs at {@link #finishRead}.
   */
  void reconsider(Link l) {
    switch (l.reconsider(s, s.pool.settings().mode() != PoolMode.SESSION, s.tracker.pinned(),
        s.tracker.uncertainty() != null, s.cancels.cancelsInFlight)) {
      case RELEASE -> unlinkedAfterRead(l, AfterRead.RELEASE);
      case CHECK_STATE -> afterRead = AfterRead.CHECK_STATE;
      default -> { }
    }
  }

  /**
   * One of Breakwater's own queries ended (at its ReadyForQuery, in the middle of a read): {@code
   * next} ({@link AfterRead#RETURN}, {@link AfterRead#LINK} or {@link AfterRead#READY}) runs once
   * the rest of the read has been read with no client linked, so that nothing the server said after
   * that ReadyForQuery reaches a client as the start of its answer.
   */
  void afterOwnQuery(AfterRead next) {
    afterRead = next;
    s.scanner.pause();
  }

  /** The link ended at a ReadyForQuery: {@code next} runs once the current read is done. */
  private void unlinkedAfterRead(Link l, AfterRead next) {
    s.link = null;
    quiet = false;
    afterRead = next;
    releasedClient = l.client();
    s.scanner.pause();
  }

  /** After a read: release the server, or roll back and reset it first, as the read decided. */
  void finishRead() {
    AfterRead next = afterRead;
    afterRead = AfterRead.NOTHING;
    LinkedClient released = releasedClient;
    releasedClient = null;
    if (released != null) {
      // What this read had for the client is written: its notifications may follow it now.
      released.link().repliesWritten();
      released.flushNotifications();
    }
    if (s.stateRef.get() == ServerState.CLOSED) {
      return; // closed in the read: a checked client was given back to the line by the close
    }
    if (s.closingReason == CloseReason.SERVER_FATAL) {
      // PostgreSQL closes a session right after its FATAL error; one that has not yet is neither
      // given back nor cleaned up, but closed here and now.
      s.closeNow(CloseReason.SERVER_FATAL, s.unseenFatal);
      return;
    }
    if (next == AfterRead.NOTHING) {
      return;
    }
    if (!s.scanner.atBoundary()) {
      // The read ended inside a message that came after the ReadyForQuery (an asynchronous
      // notice, say): its rest would go to whoever has the server next, or be dropped while its
      // start is already with this client. The server goes instead. (After an own query's
      // ReadyForQuery too: RETURN, READY, and LINK, whose client closeNow gives back to the line.)
      midMessage(next == AfterRead.RELEASE || next == AfterRead.ROLLBACK || next == AfterRead.CHECK_STATE
          ? "its client's transaction ended" : "one of Breakwater's own queries ended");
      return;
    }
    switch (next) {
      case CHECK_STATE -> {
        if (s.link != null && !s.own.running()) {
          s.own.startStateCheck();
        }
      }
      case RETURN -> s.pool.release(s);
      case READY -> s.ready();
      case LINK -> {
        LinkedClient c = s.own.checkingFor;
        s.own.checkingFor = null;
        if (c != null) {
          s.requests.link(c);
        }
      }
      case RELEASE, ROLLBACK -> {
        s.channel.config().setAutoRead(true);
        s.mapper.clear();
        if (ReleaseRule.needsCleanup(
            next == AfterRead.ROLLBACK, s.pool.settings().resetQueryAlways(), s.tracker.cleanupQuery())) {
          s.own.cleanUpAndRelease(false);
        } else {
          s.pool.releaseAfterRead(s);
        }
      }
      case NOTHING -> { }
    }
  }

  /** Closes a server whose read ended inside a message when it was to go on ({@code when}). */
  void midMessage(String when) {
    log.warn("S-{}: {} was in the middle of a message when {}: closing it", s.id, s.where(), when);
    s.closeNow(CloseReason.SERVER_MID_MESSAGE, null);
  }

  void flushToClient() {
    LinkedClient target = readTarget;
    readTarget = null;
    ByteBuf out = s.outbox.take();
    if (out == null) {
      return;
    }
    if (target == null) {
      out.release();
      return;
    }
    Channel cc = target.channel();
    s.pool.stats().sent(out.readableBytes());
    cc.writeAndFlush(out, cc.voidPromise());
    if (!cc.isWritable()) {
      // Backpressure: the client's writability event resumes reading (see resumeReading).
      s.channel.config().setAutoRead(false);
      if (cc.isWritable()) {
        // The client (on another loop) drained and fired its event before reading stopped: that
        // event found reading on and did nothing, so nothing else would resume it.
        s.channel.config().setAutoRead(true);
      }
    }
  }

  @Override
  public void onForwardedHeader(byte type, int length) {
    try {
      forwardedHeader(type);
    } catch (RuntimeException e) {
      s.scanner.flushBefore(); // the messages before this one go to the client before the error
      throw e;
    }
  }

  private void forwardedHeader(byte type) {
    if (type == MessageType.COPY_IN_RESPONSE && s.link != null && !s.own.running()) {
      int skipped = s.mapper.copySyncs.copyInStarted();
      if (skipped > 0) {
        s.link.syncsSkipped(skipped);
      }
    }
    if (s.mapper.mapsStatements() && !s.own.running() && s.mapper.hasRequests()) {
      s.mapper.advance(type);
      if (type == MessageType.ERROR_RESPONSE) {
        // An oversized error, relayed unread: a provoked failure is short, so this one is
        // PostgreSQL's own, sent as it is.
        s.mapper.takeDuplicateName();
      }
    }
    if (readTarget == null && !s.own.running()) {
      // Forwarded unread, to nobody: see onUnlinkedMessage.
      dropped(type);
    } else if (quiet && type != MessageType.NOTICE_RESPONSE && type != MessageType.ERROR_RESPONSE
        && !s.own.running()) {
      throw unasked(type);
    }
  }

  private ProtocolException unasked(byte type) {
    return new ProtocolException(MessageType.describe(type) + " with no request outstanding");
  }

  /**
   * An ErrorResponse longer than MAX_INSPECTED (PostgreSQL quotes the input in some errors, {@code
   * SELECT repeat('x', 2000000)::int}) is relayed as it streams, never held whole: what the pooler
   * needs of it (severity, SQLSTATE) is in its first bytes (onOversizedHead). Other messages the
   * pooler reads are short by PostgreSQL's own limits (a notification's payload is under 8000
   * bytes) and past the bound end the server as a protocol violation.
   */
  @Override
  public boolean onOversized(byte type, int length) {
    if (type == MessageType.ERROR_RESPONSE) {
      return true;
    }
    log.warn("S-{}: {} sent a {} of {} bytes, more than the {} the pooler reads",
        s.id, s.where(), MessageType.describe(type), length + 1L, ServerConnection.MAX_INSPECTED);
    return false;
  }

  @Override
  public void onOversizedHead(byte type, ByteBuf head) {
    ErrorFields error = ErrorFields.decodeHead(head);
    if (s.own.running()) {
      s.scanner.flushBefore();
      onError(error); // the rest is dropped with the other replies to Breakwater's own queries
      return;
    }
    if (s.link == null) {
      if (error.isFatal()) {
        log.info("S-{}: {} sent {} with no client linked", s.id, s.where(), error);
        s.closingReason = CloseReason.SERVER_FATAL;
        s.scanner.pause();
      }
      return; // dropped, and counted, by onForwardedHeader
    }
    if (s.mapper.mapsStatements()) {
      if (s.mapper.splitting()) {
        // Replies faked for the client go before the error; those due after it go before the
        // ReadyForQuery that follows it (which also updates the splitting).
        s.scanner.flushBefore();
        s.mapper.emitFakes(s.outbox);
      }
    }
    onError(error);
  }

  @Override
  public void onForward(ByteBuf bytes) {
    if (s.own.running() || readTarget == null) {
      bytes.release();
      return;
    }
    s.outbox.add(bytes);
  }

  @Override
  public boolean onMessage(byte type, ByteBuf message) {
    try {
      return message(type, message);
    } catch (RuntimeException e) {
      s.scanner.flushBefore(); // the messages before this one go to the client before the error
      throw e;
    }
  }

  private boolean message(byte type, ByteBuf message) {
    if (type == MessageType.NOTIFICATION_RESPONSE) {
      if (s.listenerRole != null) {
        s.listenerRole.onNotification(message);
        return false;
      }
      // In transaction pooling a server's notifications are nobody's: clients get theirs from
      // the pool's listening connection. In session mode they are the client's own.
      return !s.own.running() && !s.mapper.tracksSession() && s.link != null;
    }
    if (s.own.running()) {
      // Replies to Breakwater's own queries are dropped: what came before goes (or is dropped)
      // before the state can change at this message.
      s.scanner.flushBefore();
      return s.own.onInternalMessage(type, message);
    }
    if (s.link == null && type != MessageType.READY_FOR_QUERY) {
      return onUnlinkedMessage(type, message);
    }
    if (quiet && type != MessageType.PARAMETER_STATUS && type != MessageType.NOTICE_RESPONSE
        && !(type == MessageType.ERROR_RESPONSE && ErrorFields.decode(message).isFatal())) {
      throw unasked(type);
    }
    boolean forward;
    boolean split = s.mapper.mapsStatements() && s.mapper.splitting();
    if (split) {
      s.scanner.flushBefore();
      s.mapper.emitFakes(s.outbox);
    }
    byte action = s.mapper.mapsStatements() ? s.mapper.advance(type) : RequestQueue.FORWARD;
    switch (type) {
      case MessageType.READY_FOR_QUERY:
        if (split) {
          // Replies queued up to here go first; the ReadyForQuery follows unless it is withheld.
          if (onReadyForQuery(TransactionStatus.ofReadyForQuery(message), message)) {
            s.outbox.add(message.retainedSlice());
          }
          s.mapper.updateSplitting();
          return false;
        }
        forward = onReadyForQuery(TransactionStatus.ofReadyForQuery(message), message);
        break;
      case MessageType.PARAMETER_STATUS:
        forward = onParameterStatus(message);
        break;
      case MessageType.ERROR_RESPONSE:
        {
          String duplicate = s.mapper.mapsStatements() ? s.mapper.takeDuplicateName() : null;
          ErrorFields error = ErrorFields.decode(message);
          forward = onError(error);
          if (forward && duplicate != null) {
            // The failure provoked for a Parse of a name in use: PostgreSQL's error instead.
            s.scanner.flushBefore();
            ByteBuf out = s.channel.alloc().buffer(96 + duplicate.length());
            BackendMessages.error(out, "ERROR", SqlState.DUPLICATE_PREPARED_STATEMENT,
                "prepared statement \"" + duplicate + "\" already exists");
            s.outbox.add(out);
            forward = false;
          } else if (forward && s.cancels.cancelledForTimeout(error)) {
            // The cancel was query_timeout's, not the client's: say so, in PgBouncer's words.
            s.scanner.flushBefore();
            ByteBuf out = s.channel.alloc().buffer();
            s.cancels.queryTimeoutError(error).encode(out, MessageType.ERROR_RESPONSE);
            s.outbox.add(out);
            forward = false;
          }
        }
        break;
      case MessageType.COMMAND_COMPLETE:
        if (s.mapper.watchesTags()) {
          onCommandTag(message);
        }
        forward = action != RequestQueue.HIDE;
        break;
      case MessageType.NOTICE_RESPONSE:
        forward = true;
        break;
      default:
        if (isSplitType(type)) {
          forward = action != RequestQueue.HIDE;
          break;
        }
        throw new ProtocolException(
            "unexpected message " + MessageType.describe(type) + " outside of login");
    }
    if (split) {
      if (forward) {
        s.outbox.add(message.retainedSlice());
      }
      s.mapper.emitFakes(s.outbox);
      s.mapper.updateSplitting();
      return false;
    }
    return forward;
  }

  /**
   * A message while no client is linked: after the ReadyForQuery that released the server (in the
   * same read or later), or while it waits in the pool. It is nobody's, so it is dropped, as
   * PgBouncer drops it ("got packet from server when not linked"), and said in the log (one line
   * per read for the plain ones, so a stream of rows makes one line); the server's own record of
   * its parameters and of a FATAL error is kept.
   */
  private boolean onUnlinkedMessage(byte type, ByteBuf message) {
    switch (type) {
      case MessageType.PARAMETER_STATUS:
        {
          ByteBuf body = Codec.body(message);
          String name = Codec.readCString(body);
          String value = Codec.readCString(body);
          s.parameters.report(name, value);
          log.warn("S-{}: {} reported {} = {} with no client linked: dropped", s.id, s.where(), name, value);
          return false;
        }
      case MessageType.ERROR_RESPONSE:
        {
          ErrorFields error = ErrorFields.decode(message);
          if (error.isFatal()) {
            // The server is going (terminated, idle_session_timeout): its close says so.
            log.info("S-{}: {} sent {} with no client linked", s.id, s.where(), error);
            s.closingReason = CloseReason.SERVER_FATAL;
            s.scanner.pause(); // the read stops after it, as onError's
          } else {
            log.warn("S-{}: {} sent {} with no client linked: dropped", s.id, s.where(), error);
          }
          return false;
        }
      default:
        dropped(type);
        return false;
    }
  }

  /** Counts a message dropped for want of a client; the read logs them in one line. */
  private void dropped(byte type) {
    if (droppedInRead++ == 0) {
      firstDroppedType = type;
    }
  }

  void logDropped() {
    if (droppedInRead > 0) {
      log.warn(
          "S-{}: {} sent {} message(s) with no client linked, the first {}: dropped",
          s.id, s.where(), droppedInRead, MessageType.describe(firstDroppedType));
      droppedInRead = 0;
    }
  }

  static boolean isSplitType(byte type) {
    for (byte t : ServerConnection.SPLIT_TYPES) {
      if (t == type) {
        return true;
      }
    }
    return false;
  }

  /** DISCARD ALL and DEALLOCATE ALL done: the server has no prepared statements left. */
  private void onCommandTag(ByteBuf message) {
    String tag = Codec.readCString(Codec.body(message));
    if (tag.equals("DISCARD ALL") || tag.equals("DEALLOCATE ALL")) {
      s.mapper.statementsDropped(s.client());
    }
  }

  /** The one place where pooling decisions are made. */
  boolean onReadyForQuery(TransactionStatus status, ByteBuf message) {
    s.transactionStatus = status;
    if (s.own.running()) {
      if (--s.own.internalReplies == 0) {
        s.own.internalDone();
      }
      return false;
    }
    Link l = s.link;
    if (l == null) {
      throw new ProtocolException("ReadyForQuery with no query running");
    }
    LinkedClient c = l.client();
    long now = System.nanoTime();
    if (s.queryStartNanos != 0) {
      s.pool.stats().query(now - s.queryStartNanos);
      s.queryStartNanos = 0;
    }
    if (status == TransactionStatus.IDLE && s.transactionStartNanos != 0) {
      s.pool.stats().transaction(now - s.transactionStartNanos);
      s.transactionStartNanos = 0;
    }

    if (s.mapper.tracksSession()) {
      // The tracker records a statement's effects as the client's message passes: with more of
      // the client's requests already sent (pipelined), they include statements that have not run
      // yet, and may yet fail. Applied at the last ReadyForQuery; an error before it is seen then.
      boolean last = l.due() <= 1;
      java.util.concurrent.CompletableFuture<Void> wait =
          s.tracker.onReadyForQuery(status == TransactionStatus.IDLE && last, c, s.parameters.extras, () -> s.backend.listener(s.pool));
      if (wait != null && !wait.isDone()) {
        // The client's LISTEN returns once the shared connection listens: no notification sent
        // after it can be missed. The ReadyForQuery waits until then, and so does the release.
        heldReadyForQuery = message.retainedSlice();
        s.scanner.pause();
        wait.whenComplete((v, e) -> s.loop.execute(() -> releaseHeld(l, status)));
        return false;
      }
    }
    boolean forward = decide(l, status, now);
    if (status == TransactionStatus.IDLE && s.link == l && s.generation != s.pool.generation()
        && s.pool.settings().serverFastClose()) {
      // After this ReadyForQuery has gone out.
      s.fastCloseIfBetweenTransactions();
    }
    return forward;
  }

  /** A ReadyForQuery withheld until the shared connection listened: it goes out now. */
  private void releaseHeld(Link l, TransactionStatus status) {
    ByteBuf z = heldReadyForQuery;
    heldReadyForQuery = null;
    if (z == null) {
      return;
    }
    if (s.stateRef.get() == ServerState.CLOSED || s.link != l) {
      z.release();
      return;
    }
    readTarget = l.client();
    s.outbox.add(z);
    decide(l, status, System.nanoTime());
    flushToClient();
    finishRead();
  }

  /** The link's decision at a ReadyForQuery for its client, and what follows it. */
  private boolean decide(Link l, TransactionStatus status, long now) {
    PoolMode mode = s.pool.settings().mode();
    ReleaseRule.AtReady verdict =
        l.atReady(s, status, mode, s.tracker.pinned(), s.tracker.uncertainty() != null,
            s.cancels.cancelsInFlight, now);
    quiet = l.nothingAfterReady();
    switch (verdict) {
      case CHECK_STATE -> afterRead = AfterRead.CHECK_STATE; // the client keeps it meanwhile
      case RELEASE -> unlinkedAfterRead(l, AfterRead.RELEASE);
      case REFUSE -> unlinkedAfterRead(l, AfterRead.ROLLBACK);
      case KEEP -> { }
    }
    if (verdict == ReleaseRule.AtReady.REFUSE) {
      // The ReadyForQuery is withheld: the client is told why and closed, its transaction undone.
      // With more replies due, or a cancel on its way that could reach the next client, the
      // server is closed rather than rolled back and lent again.
      if (l.dueAfterReady() > 0 || s.cancels.cancelsInFlight > 0) {
        afterRead = AfterRead.NOTHING;
        s.close(CloseReason.TRANSACTION_IN_STATEMENT_MODE);
      }
      l.client().refuseTransaction();
      return false;
    }
    return true;
  }

  boolean onParameterStatus(ByteBuf message) {
    ByteBuf body = Codec.body(message);
    String name = Codec.readCString(body);
    String value = Codec.readCString(body);
    s.parameters.report(name, value);
    LinkedClient c = s.client();
    if (c == null) {
      return false;
    }
    if (s.own.settingParameters()) {
      // The client asked for this setting; the server's spelling of it is what it would have seen.
      if (!value.equals(c.reportedParameters().put(name, value)) && readTarget != null) {
        s.outbox.add(message.retainedSlice());
      }
      return false;
    }
    if (s.own.running()) {
      return false;
    }
    c.reportedParameters().put(name, value);
    return true;
  }

  boolean onError(ErrorFields error) {
    if (error.isFatal()) {
      log.info("S-{}: {} sent {}", s.id, s.where(), error);
      s.closingReason = CloseReason.SERVER_FATAL;
      s.scanner.pause(); // the read stops after it (read), the server closes at finishRead
      if (s.own.running()) {
        s.unseenFatal = error;
      }
    }
    if (s.own.running()) {
      if (s.own.internalError == null) {
        s.own.internalError = error;
      }
      return false;
    }
    s.tracker.onError();
    return true;
  }
}
