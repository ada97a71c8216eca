package dev.breakwater.server.frontend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.backend.Listener;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayDeque;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's LISTEN side, made at its first LISTEN: the channels it listens on through its pool's
 * listening connection ({@link Listener}), and the notifications kept for it while it is in a
 * transaction or does not read. The queue is guarded by the client's monitor; a notification is
 * written only while its {@link dev.breakwater.server.backend.Link} holds none back (no server
 * linked, and the replies of the read that ended the last link written), asked under the link's
 * monitor inside the client's.
 */
final class ClientNotifications {

  private static final Logger log = LoggerFactory.getLogger(ClientNotifications.class);
  /**
   * The most bytes of notifications kept for one client (in a transaction, or not reading): past
   * it the client is dropped with an error, as PostgreSQL refuses a NOTIFY when its own queue is
   * full; a listener cannot make the pooler hold notifications without limit. 1 MiB is over a
   * hundred notifications of PostgreSQL's largest payload (8000 bytes), thousands of usual ones.
   */
  static final int MAX_QUEUED = 1 << 20;

  private final ClientConnection client;
  private final Set<String> listening = ConcurrentHashMap.newKeySet();
  private volatile Listener listener;
  /** Notifications that wait for the transaction to end or the channel to drain, or null. */
  private ArrayDeque<ByteBuf> queue;
  /** The bytes {@link #queue} holds. */
  private int queuedBytes;
  /** The client was dropped for the notifications it let pile up. */
  private boolean overflowed;

  ClientNotifications(ClientConnection client) {
    this.client = client;
  }

  /** The channels the client listens on. */
  Set<String> listening() {
    return listening;
  }

  /** The listening connection the client's channels are on, or null. */
  Listener listener() {
    return listener;
  }

  void listener(Listener l) {
    listener = l;
  }

  /**
   * A notification for this client (owned by the callee). Written at once between transactions
   * when the client's channel takes it, else kept until the transaction ends (so it never lands
   * inside a reply) or the channel drains; at most {@link #MAX_QUEUED} bytes are kept. From any
   * thread.
   */
  void deliver(ByteBuf message) {
    Channel channel = client.channel();
    synchronized (client) {
      if (client.isClosed() || overflowed) {
        message.release();
        return;
      }
      if (client.link().holdsNotifications() || (queue != null && !queue.isEmpty()) || !channel.isWritable()) {
        int size = message.readableBytes();
        if (queuedBytes + (long) size > MAX_QUEUED) {
          message.release();
          overflowed = true;
          int held = queuedBytes;
          client.eventLoop().execute(() -> drop(held));
          return;
        }
        if (queue == null) {
          queue = new ArrayDeque<>();
        }
        queue.add(message);
        queuedBytes += size;
        return;
      }
      channel.writeAndFlush(message, channel.voidPromise());
    }
  }

  /**
   * The transaction ended, or the channel drained: the notifications that waited go out, as many
   * as the channel takes (the rest on its next writability event). From any thread.
   */
  void flush() {
    Channel channel = client.channel();
    synchronized (client) {
      if (queue == null || queue.isEmpty() || client.link().holdsNotifications()) {
        return;
      }
      ByteBuf m;
      while (channel.isWritable() && (m = queue.poll()) != null) {
        queuedBytes -= m.readableBytes();
        if (client.isClosed()) {
          m.release();
        } else {
          channel.write(m, channel.voidPromise());
        }
      }
      channel.flush();
    }
  }

  /** The client closed: what waits is dropped. Hold the client's monitor. */
  void clear() {
    if (queue != null) {
      for (ByteBuf m : queue) {
        m.release();
      }
      queue.clear();
      queuedBytes = 0;
    }
  }

  /**
   * More notifications than {@link #MAX_QUEUED} for a client that does not take them: it is
   * dropped with an error. One that reads gets the error after what it was sent; one that does not
   * is closed at once, its unsent bytes dropped (the error could not reach it).
   */
  private void drop(int held) {
    if (client.isClosed()) {
      return;
    }
    Channel channel = client.channel();
    log.warn("{}: closing because more than {} bytes of notifications were waiting for it ({} held,"
            + " channel {}writable)",
        client, MAX_QUEUED, held, channel.isWritable() ? "" : "not ");
    ErrorFields error =
        ErrorFields.of(
            "FATAL",
            SqlState.PROGRAM_LIMIT_EXCEEDED,
            "too many notifications waiting for this client (more than "
                + MAX_QUEUED
                + " bytes): it does not read them fast enough");
    if (channel.isWritable()) {
      ClientErrors.sendAndClose(client, error, CloseReason.NOTIFICATION_QUEUE_FULL);
    } else {
      ByteBuf out = channel.alloc().buffer();
      error.encode(out, MessageType.ERROR_RESPONSE);
      channel.writeAndFlush(out, channel.voidPromise());
      client.close(CloseReason.NOTIFICATION_QUEUE_FULL);
    }
  }
}
