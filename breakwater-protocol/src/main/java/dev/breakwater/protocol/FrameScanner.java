package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Finds message boundaries in a stream of typed protocol messages and decides, per message type,
 * whether the body is read or only forwarded.
 *
 * <p>Forwarded bytes leave as retained slices of the buffer they arrived in, one slice for a run of
 * consecutive forwarded messages, so the common path allocates nothing per message and copies
 * nothing. A forwarded message larger than what has arrived streams through in pieces: its bytes
 * are handed on as they come and never held whole.
 *
 * <p>Messages of an inspected type are handed to {@link Handler#onMessage} whole (header included),
 * up to {@code maxInspectedLength} bytes; the handler decides whether they stay in the forwarded
 * stream. A message kept stays in the run with its neighbours, so reading it costs no extra slice.
 * A handler that changes where bytes go, or adds bytes of its own, at a message it inspects calls
 * {@link #flushBefore()} first: every byte before the message is then handed on before it goes on.
 * A message dropped always ends the run before it. Only an inspected message split across reads is
 * copied, into a pending buffer that grows as its bytes arrive: the length a message declares is
 * never allocated up front, so a peer that declares a long message and sends a few bytes of it
 * costs a few bytes (at most twice what it sent, and never more than {@code maxInspectedLength}).
 *
 * <p>Not thread-safe: one scanner per direction of one connection, used on its event loop.
 */
public final class FrameScanner {

  /** What the scanner tells its owner. */
  public interface Handler {
    /**
     * A whole message of an inspected type, the reader index at its type byte. The buffer is valid
     * only during the call: retain or copy what must outlive it.
     *
     * @return true to forward the message in order with its neighbours, false to drop it
     */
    boolean onMessage(byte type, ByteBuf message);

    /** The header of a message that is forwarded unread; its body may not have arrived yet. */
    default void onForwardedHeader(byte type, int length) {}

    /**
     * An inspected type whose message is longer than the scanner's limit.
     *
     * @return true to forward it unread (streamed), false to fail with a protocol error
     */
    default boolean onOversized(byte type, int length) {
      return false;
    }

    /**
     * The first bytes of an oversized message that {@link #onOversized} chose to forward: its
     * header and the start of its body, {@link #OVERSIZED_HEAD} bytes in all (or the whole message
     * if shorter), before any of it is handed on. What a handler must know of a long message (an
     * ErrorResponse's severity and SQLSTATE come first) it reads here; it may call {@link
     * #flushBefore()}. The buffer is valid only during the call. Then {@link #onForwardedHeader}.
     */
    default void onOversizedHead(byte type, ByteBuf head) {}

    /** Bytes to forward unchanged, in order: a retained buffer that the handler now owns. */
    void onForward(ByteBuf bytes);
  }

  /**
   * Memory shared by many scanners (all clients' split messages, say): each buffer a scanner
   * allocates or grows for a split message is reserved here first, one atomic add per buffer, and
   * given back when the message goes on or the scanner is released.
   */
  public interface Budget {
    /** @return false, reserving nothing, when {@code bytes} more would exceed the budget */
    boolean reserve(long bytes);

    void release(long bytes);

    /** The budget's size, for the error. */
    long limit();
  }

  /**
   * A set of inspected types that many scanners can share until one of them changes its own
   * (copy on write): an idle connection then costs no table of its own.
   */
  public static final class Inspected {
    private final boolean[] table = new boolean[256];

    public static Inspected of(byte... types) {
      Inspected i = new Inspected();
      for (byte t : types) {
        i.table[t & 0xff] = true;
      }
      return i;
    }
  }

  private static final int HEADER = 5;
  /** How much of an oversized message the handler sees before it streams on (onOversizedHead). */
  public static final int OVERSIZED_HEAD = 512;
  /** The least a pending message's buffer starts with. */
  private static final int FIRST_PENDING = 256;

  private boolean[] inspected;
  private boolean ownTable;
  private final int maxInspectedLength;
  private final ByteBufAllocator alloc;

  /** Bytes still to forward of a streamed message. */
  private long remaining;
  /** A header, or an inspected message, split across reads; null at a message boundary. */
  private ByteBuf pending;
  /** Where the capacity of {@link #pending} is reserved, or null; and how much is. */
  private Budget budget;
  private long reserved;
  /** The pending bytes are the head of an oversized message the handler accepted. */
  private boolean pendingOversized;

  private boolean pauseRequested;

  // The run being built while a handler looks at a message (see flushBefore).
  private ByteBuf scanning;
  private Handler scanHandler;
  private int runStart;
  private int messageAt;

  /**
   * @param maxInspectedLength the longest inspected message, header included, that is read whole
   * @param inspectedTypes the type bytes whose messages are handed to {@link Handler#onMessage}
   */
  public FrameScanner(ByteBufAllocator alloc, int maxInspectedLength, byte... inspectedTypes) {
    this(alloc, maxInspectedLength, Inspected.of(inspectedTypes));
    this.ownTable = true;
  }

  /** A scanner that shares {@code types} with others until {@link #inspect} changes its own. */
  public FrameScanner(ByteBufAllocator alloc, int maxInspectedLength, Inspected types) {
    this.alloc = alloc;
    this.maxInspectedLength = maxInspectedLength;
    this.inspected = types.table;
  }

  /** Reserves the buffers this scanner holds for split messages in {@code b} from now. */
  public void budget(Budget b) {
    this.budget = b;
  }

  /**
   * Reserves what {@link #pending} has grown to since it was last accounted for.
   *
   * @throws ProtocolException (54000) when the budget is spent: the pending bytes are then freed
   */
  private void account() {
    if (budget == null || pending == null) {
      return;
    }
    long more = pending.capacity() - reserved;
    if (more > 0) {
      if (!budget.reserve(more)) {
        releasePending();
        throw new ProtocolException(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            "out of memory: the pooler holds more than its limit of "
                + budget.limit()
                + " bytes for clients' messages");
      }
      reserved += more;
    }
  }

  /** {@link #pending} goes (handed on or freed): what was reserved for it is given back. */
  private void unaccount() {
    if (reserved > 0) {
      budget.release(reserved);
      reserved = 0;
    }
  }

  /** Starts or stops reading the bodies of messages of this type. */
  public void inspect(byte type, boolean inspect) {
    if (inspected[type & 0xff] == inspect) {
      return;
    }
    if (!ownTable) {
      inspected = inspected.clone();
      ownTable = true;
    }
    inspected[type & 0xff] = inspect;
  }

  /**
   * Called from a handler callback for a message ({@link Handler#onMessage}, {@link
   * Handler#onForwardedHeader}, {@link Handler#onOversizedHead}): hands on every byte before the
   * current message now, so that what the handler does next (route elsewhere, add its own bytes,
   * throw) comes after them.
   */
  public void flushBefore() {
    if (scanning != null && messageAt > runStart) {
      scanHandler.onForward(scanning.retainedSlice(runStart, messageAt - runStart));
      runStart = messageAt;
    }
  }

  /** Called from a handler callback: stop after the current message; {@link #scan} returns false. */
  public void pause() {
    pauseRequested = true;
  }

  /** True when part of a message has been handed on and the rest has not arrived. */
  public boolean midForwardedMessage() {
    return remaining > 0;
  }

  /** True when the scanner is between messages, with nothing pending. */
  public boolean atBoundary() {
    return remaining == 0 && pending == null;
  }

  /**
   * Reads what {@code in} holds, calling the handler for each message. The caller keeps ownership
   * of {@code in}: forwarded bytes are handed on as retained slices of it.
   *
   * @return true when {@code in} was read to the end, false when the handler paused the scan (the
   *     reader index then stands after the message that paused it)
   * @throws ProtocolException on a message length below 4 or an oversized inspected message that
   *     the handler refuses
   */
  public boolean scan(ByteBuf in, Handler handler) {
    pauseRequested = false;
    if (remaining > 0) {
      int n = (int) Math.min(remaining, in.readableBytes());
      remaining -= n;
      if (n > 0) {
        handler.onForward(in.readRetainedSlice(n));
      }
      if (remaining > 0) {
        return true;
      }
    }
    if (pending != null && !completePending(in, handler)) {
      return true;
    }
    if (pauseRequested) {
      return false;
    }
    scanning = in;
    scanHandler = handler;
    runStart = in.readerIndex();
    try {
      while (in.isReadable()) {
        int at = in.readerIndex();
        messageAt = at;
        int readable = in.readableBytes();
        if (readable < HEADER) {
          flush(in, runStart, at, handler);
          pending = alloc.buffer(HEADER);
          pending.writeBytes(in, readable);
          account();
          return true;
        }
        byte type = in.getByte(at);
        int length = in.getInt(at + 1);
        if (length < 4) {
          flush(in, runStart, at, handler);
          throw new ProtocolException(
              "invalid length " + length + " for message of type " + MessageType.describe(type));
        }
        long total = (long) length + 1;
        if (inspected[type & 0xff]) {
          if (total <= maxInspectedLength) {
            if (readable >= total) {
              boolean forward = handler.onMessage(type, in.slice(at, (int) total));
              if (!forward) {
                flush(in, runStart, at, handler);
                runStart = at + (int) total;
              }
              in.readerIndex(at + (int) total);
              if (pauseRequested) {
                flush(in, runStart, in.readerIndex(), handler);
                return false;
              }
              continue;
            }
            flush(in, runStart, at, handler);
            pending = alloc.buffer(Math.min((int) total, Math.max(readable, FIRST_PENDING)), (int) total);
            pending.writeBytes(in, readable);
            account();
            return true;
          }
          if (!handler.onOversized(type, length)) {
            flush(in, runStart, at, handler);
            throw new ProtocolException(
                SqlState.PROGRAM_LIMIT_EXCEEDED,
                "message of type " + MessageType.describe(type) + " is too long (" + total + " bytes)");
          }
          int head = (int) Math.min(OVERSIZED_HEAD, total);
          if (readable < head) {
            flush(in, runStart, at, handler);
            pending = alloc.buffer(head);
            pending.writeBytes(in, readable);
            pendingOversized = true;
            account();
            return true;
          }
          handler.onOversizedHead(type, in.slice(at, head));
        }
        handler.onForwardedHeader(type, length);
        int n = (int) Math.min(total, readable);
        in.skipBytes(n);
        remaining = total - n;
        if (pauseRequested && remaining == 0) {
          // Asked by onOversizedHead or onForwardedHeader (a FATAL error, streamed).
          flush(in, runStart, in.readerIndex(), handler);
          return false;
        }
      }
      flush(in, runStart, in.readerIndex(), handler);
      return true;
    } finally {
      scanning = null;
      scanHandler = null;
    }
  }

  /** Completes the pending header or message from {@code in}; false when {@code in} ran out. */
  private boolean completePending(ByteBuf in, Handler handler) {
    if (pending.readableBytes() < HEADER) {
      int n = Math.min(HEADER - pending.readableBytes(), in.readableBytes());
      pending.writeBytes(in, n);
      if (pending.readableBytes() < HEADER) {
        return false;
      }
    }
    byte type = pending.getByte(pending.readerIndex());
    int length = pending.getInt(pending.readerIndex() + 1);
    if (length < 4) {
      releasePending();
      throw new ProtocolException(
          "invalid length " + length + " for message of type " + MessageType.describe(type));
    }
    long total = (long) length + 1;
    boolean inspect = inspected[type & 0xff];
    if (pendingOversized || (inspect && total > maxInspectedLength)) {
      if (!pendingOversized && !handler.onOversized(type, length)) {
        releasePending();
        throw new ProtocolException(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            "message of type " + MessageType.describe(type) + " is too long (" + total + " bytes)");
      }
      // The handler sees the message's first bytes before any of it goes on.
      pendingOversized = true;
      int head = (int) Math.min(OVERSIZED_HEAD, total);
      if (pending.readableBytes() < head) {
        pending.writeBytes(in, Math.min(head - pending.readableBytes(), in.readableBytes()));
        account();
        if (pending.readableBytes() < head) {
          return false;
        }
      }
      pendingOversized = false;
      handler.onOversizedHead(type, pending.slice());
      inspect = false;
    }
    if (!inspect) {
      // Told first: a handler that refuses the message throws, and the header is still pending,
      // freed by release(), rather than in a local nobody frees.
      handler.onForwardedHeader(type, length);
      ByteBuf header = pending;
      pending = null;
      unaccount();
      remaining = total - header.readableBytes();
      handler.onForward(header);
      int n = (int) Math.min(remaining, in.readableBytes());
      remaining -= n;
      if (n > 0) {
        handler.onForward(in.readRetainedSlice(n));
      }
      return remaining == 0;
    }
    int missing = (int) total - pending.readableBytes();
    int n = Math.min(missing, in.readableBytes());
    appendPending(in, n, (int) total);
    if (n < missing) {
      return false;
    }
    ByteBuf message = pending;
    pending = null;
    unaccount();
    boolean forward;
    try {
      forward = handler.onMessage(type, message);
    } catch (RuntimeException e) {
      message.release();
      throw e;
    }
    if (forward) {
      handler.onForward(message);
    } else {
      message.release();
    }
    return true;
  }

  /**
   * Appends {@code n} bytes of {@code in} to the pending message of {@code total} bytes, growing its
   * buffer to twice what it holds (or what it needs, if more), never past {@code total}: memory
   * follows the bytes that came, not the length the peer declared, and copying stays linear.
   */
  private void appendPending(ByteBuf in, int n, int total) {
    if (pending.writableBytes() < n) {
      int needed = pending.readableBytes() + n;
      int capacity = (int) Math.min(total, Math.max(needed, 2L * pending.readableBytes()));
      ByteBuf grown = alloc.buffer(capacity, total);
      grown.writeBytes(pending);
      pending.release();
      pending = grown;
      account();
    }
    pending.writeBytes(in, n);
  }

  /** The capacity of the buffer holding a split message or header (0 when none): for tests. */
  public int pendingCapacity() {
    return pending == null ? 0 : pending.capacity();
  }

  private static void flush(ByteBuf in, int from, int to, Handler handler) {
    if (to > from) {
      handler.onForward(in.retainedSlice(from, to - from));
    }
  }

  private void releasePending() {
    pendingOversized = false;
    if (pending != null) {
      pending.release();
      pending = null;
    }
    unaccount();
  }

  /** Frees what is pending; call when the connection closes. */
  public void release() {
    releasePending();
    remaining = 0;
  }
}
