package dev.breakwater.server.frontend;

import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.ClientMemory;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.LogText;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.backend.Link;
import dev.breakwater.server.backend.LinkedClient;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.pool.Pool;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's session, once its login ({@link ClientLogin}) handed over: the channel handler that
 * reads what the client sends (most messages by their headers only; a Terminate, and in the admin
 * console every message, whole) and hands it to its {@link Link}, or to its console session.
 *
 * <p>The base of {@link ClientConnection}, its only kind: a class of its own for the reading, not
 * an object of its own, so an idle client keeps no more objects. Runs on the client's event loop.
 * Logs under ClientConnection's logger, as these lines always did.
 */
abstract sealed class ClientSession extends ChannelInboundHandlerAdapter
    implements FrameScanner.Handler, LinkedClient permits ClientConnection {

  private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
  /** The longest message read whole (a PasswordMessage, a Terminate). Others stream through. */
  private static final int MAX_INSPECTED = 64 * 1024;
  /** The client's messages its session reads (the rest is counted from headers, or forwarded). */
  public static final FrameScanner.Inspected CLIENT_TYPES =
      FrameScanner.Inspected.of(MessageType.TERMINATE, MessageType.PASSWORD);

  /** Set when the session takes over from the login, with the scanner and outbox. */
  private ChannelHandlerContext ctx;
  private FrameScanner scanner;
  private Outbox outbox;
  /** Set when the client logged in to the admin console instead of a pool. */
  private AdminConsole.Session adminSession;
  /** Extended-protocol messages read since the last Sync or Query (event loop only). */
  private boolean unsyncedRead;
  private volatile long lastActivityNanos = System.nanoTime();

  // Per read.
  private int readReplies;
  private boolean terminated;

  // ---- What the session needs of its client ----

  public abstract boolean isClosed();

  /** The pool the client uses, or null. */
  public abstract Pool pool();

  /** Closes the client, from its own loop. */
  public abstract void close(CloseReason reason);

  /** Sends the client a FATAL error and closes it. */
  abstract void fatal(String sqlState, String message, CloseReason reason);

  // ---- The session ----

  /** When the client last sent something. */
  @Override
  public long lastActivityNanos() {
    return lastActivityNanos;
  }

  /** The session takes the login's place in the pipeline. */
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.scanner = new FrameScanner(ctx.alloc(), MAX_INSPECTED, CLIENT_TYPES);
    scanner.budget(ClientMemory.GLOBAL);
    this.outbox = new Outbox(ctx.alloc());
    // client_idle_timeout counts from the login's end, not from the connect (a long auth_query).
    lastActivityNanos = System.nanoTime();
  }

  /** Tells the client {@code out} from the session's place in the pipeline. */
  final void writeAndFlush(ByteBuf out) {
    ctx.writeAndFlush(out);
  }

  /** The client's messages go to {@code session} now, each read whole. */
  final void console(AdminConsole.Session session) {
    adminSession = session;
    AdminConsole.readWhole(scanner);
  }

  /** The client closed: what was read and not handed on goes. */
  final void readingClosed() {
    if (scanner != null) { // null while logging in: the login holds what it read (ClientLogin)
      scanner.release();
      outbox.clear();
    }
  }

  // ---- Reading from the client ----

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    readReplies = 0;
    lastActivityNanos = System.nanoTime();
    try {
      scanner.scan(in, this);
    } catch (ProtocolException e) {
      outbox.clear();
      log.warn("{}: protocol violation: {}", this, LogText.escape(e.getMessage()));
      fatal(e.sqlState(), e.getMessage(), CloseReason.CLIENT_PROTOCOL_VIOLATION);
      return;
    } finally {
      in.release();
    }
    if (isClosed()) {
      // Closed by a message of this read: the scan went on past it and may hold part of the next.
      scanner.release();
      outbox.clear();
      return;
    }
    deliver();
    if (terminated) {
      close(CloseReason.CLIENT_TERMINATE);
    }
  }

  @Override
  public boolean onMessage(byte type, ByteBuf message) {
    if (type == MessageType.TERMINATE) {
      terminated = true;
      return false;
    }
    if (adminSession != null) {
      adminSession.onMessage(type, message);
      return false;
    }
    onForwardedHeader(type, message.readableBytes() - 1);
    return true;
  }

  @Override
  public void onForwardedHeader(byte type, int length) {
    if (adminSession != null) {
      throw new ProtocolException(
          "unexpected message type " + MessageType.describe(type) + " in the admin console");
    }
    if (type == MessageType.QUERY || type == MessageType.SYNC || type == MessageType.FUNCTION_CALL) {
      readReplies++;
      unsyncedRead = false;
    } else if (type == MessageType.PARSE
        || type == MessageType.BIND
        || type == MessageType.EXECUTE
        || type == MessageType.DESCRIBE
        || type == MessageType.CLOSE
        || type == MessageType.FLUSH) {
      unsyncedRead = true;
    }
  }

  @Override
  public void onForward(ByteBuf bytes) {
    if (isClosed() || terminated) {
      bytes.release();
      return;
    }
    outbox.add(bytes);
  }

  /** Hands what was read to the linked server, or keeps it and asks the pool for a server. */
  private void deliver() {
    ByteBuf batch = outbox.take();
    if (batch == null && readReplies == 0) {
      return;
    }
    switch (link().deliver(batch, readReplies, scanner.midForwardedMessage(), unsyncedRead)) {
      case OVER_BUDGET -> {
        log.warn("{}: closing because the pooler holds {} bytes for clients, its limit {} reached",
            this, ClientMemory.GLOBAL.used(), ClientMemory.GLOBAL.limit());
        fatal(SqlState.PROGRAM_LIMIT_EXCEEDED,
            "out of memory: the pooler holds more than its limit of " + ClientMemory.GLOBAL.limit()
                + " bytes for clients' messages",
            CloseReason.CLIENT_MEMORY);
      }
      case KEPT -> stopIfFull();
      case KEPT_ASK_POOL -> {
        stopIfFull();
        pool().acquire(this);
      }
      default -> { }
    }
  }

  private void stopIfFull() {
    if (link().full()) {
      channel().config().setAutoRead(false);
    }
  }

  // ---- Flow ----

  @Override
  public void pauseReading() {
    channel().config().setAutoRead(false);
  }

  @Override
  public void resumeReading() {
    if (!isClosed()) {
      channel().config().setAutoRead(true);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ServerConnection s = link().server();
    if (ctx.channel().isWritable()) {
      if (s != null) {
        s.resumeReading();
      } else {
        flushNotifications(); // those that waited for the channel to drain
      }
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    close(CloseReason.CLIENT_CLOSED);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.info("{}: I/O error: {}", this, cause.toString());
    close(CloseReason.CLIENT_IO_ERROR);
    ctx.close();
  }
}
