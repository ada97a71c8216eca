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
 * stream. Every byte before an inspected message has been handed to {@link Handler#onForward}
 * before {@code onMessage} is called for it, so a handler can change where bytes go at any message
 * it inspects. Only an inspected message split across reads is copied, into a small pending
 * buffer.
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

    /** Bytes to forward unchanged, in order: a retained buffer that the handler now owns. */
    void onForward(ByteBuf bytes);
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

  private boolean[] inspected;
  private boolean ownTable;
  private final int maxInspectedLength;
  private final ByteBufAllocator alloc;

  /** Bytes still to forward of a streamed message. */
  private long remaining;
  /** A header, or an inspected message, split across reads; null at a message boundary. */
  private ByteBuf pending;

  private boolean pauseRequested;

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
    int runStart = in.readerIndex();
    while (in.isReadable()) {
      int at = in.readerIndex();
      int readable = in.readableBytes();
      if (readable < HEADER) {
        flush(in, runStart, at, handler);
        pending = alloc.buffer(HEADER);
        pending.writeBytes(in, readable);
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
            flush(in, runStart, at, handler);
            runStart = at;
            boolean forward = handler.onMessage(type, in.slice(at, (int) total));
            if (!forward) {
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
          pending = alloc.buffer((int) total);
          pending.writeBytes(in, readable);
          return true;
        }
        if (!handler.onOversized(type, length)) {
          flush(in, runStart, at, handler);
          throw new ProtocolException(
              SqlState.PROGRAM_LIMIT_EXCEEDED,
              "message of type " + MessageType.describe(type) + " is too long (" + total + " bytes)");
        }
      }
      handler.onForwardedHeader(type, length);
      int n = (int) Math.min(total, readable);
      in.skipBytes(n);
      remaining = total - n;
    }
    flush(in, runStart, in.readerIndex(), handler);
    return true;
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
    if (inspect && total > maxInspectedLength) {
      if (!handler.onOversized(type, length)) {
        releasePending();
        throw new ProtocolException(
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            "message of type " + MessageType.describe(type) + " is too long (" + total + " bytes)");
      }
      inspect = false;
    }
    if (!inspect) {
      ByteBuf header = pending;
      pending = null;
      handler.onForwardedHeader(type, length);
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
    if (pending.writableBytes() < missing) {
      ByteBuf grown = alloc.buffer((int) total);
      grown.writeBytes(pending);
      pending.release();
      pending = grown;
    }
    int n = Math.min(missing, in.readableBytes());
    pending.writeBytes(in, n);
    if (n < missing) {
      return false;
    }
    ByteBuf message = pending;
    pending = null;
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

  private static void flush(ByteBuf in, int from, int to, Handler handler) {
    if (to > from) {
      handler.onForward(in.retainedSlice(from, to - from));
    }
  }

  private void releasePending() {
    if (pending != null) {
      pending.release();
      pending = null;
    }
  }

  /** Frees what is pending; call when the connection closes. */
  public void release() {
    releasePending();
    remaining = 0;
  }
}
