package dev.breakwater.server;

import dev.breakwater.protocol.FrameScanner;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes the pooler holds for all clients together, in the process: messages split across
 * reads (FrameScanner's pending buffers, a client's own and the ones its server maps statements
 * in) and what a client sent while it waits for a server. Each client has its own bound too (64
 * KiB for a password message, 64 MiB for a split Parse or Bind, 1 MiB waiting for a server); this
 * one stops many clients from adding up to more than the process has. A client whose bytes would
 * exceed it is dropped with 54000 and a log line.
 *
 * <p>The default is a quarter of the smaller of the JVM's maximum heap and Netty's maximum direct
 * memory (bin/breakwater gives each 1 GiB: 256 MiB). One reservation per buffer allocated or grown,
 * or per read kept while waiting: never per message.
 */
public final class ClientMemory implements FrameScanner.Budget {

  /** The process's budget: the heap and direct memory are the process's. */
  public static final ClientMemory GLOBAL = new ClientMemory(defaultLimit());

  private final AtomicLong used = new AtomicLong();
  private volatile long limit;

  ClientMemory(long limit) {
    this.limit = limit;
  }

  /** A quarter of the smaller of the JVM's maximum heap and Netty's maximum direct memory. */
  public static long defaultLimit() {
    long heap = Runtime.getRuntime().maxMemory();
    long direct = io.netty.util.internal.PlatformDependent.maxDirectMemory();
    long smaller = direct > 0 ? Math.min(heap, direct) : heap;
    return Math.max(1L << 20, smaller / 4);
  }

  @Override
  public boolean reserve(long bytes) {
    if (used.addAndGet(bytes) > limit) {
      used.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  @Override
  public void release(long bytes) {
    used.addAndGet(-bytes);
  }

  @Override
  public long limit() {
    return limit;
  }

  /** The bytes held now. */
  public long used() {
    return used.get();
  }

  /** Changes the limit (tests; what is held already stays). */
  public void limit(long bytes) {
    this.limit = bytes;
  }
}
