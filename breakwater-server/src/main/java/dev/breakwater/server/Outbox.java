package dev.breakwater.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * Collects the slices forwarded during one read so they leave in one write: no copy, one task and
 * one flush per read instead of one per slice. Used on one event loop only.
 */
public final class Outbox {
  private final ByteBufAllocator alloc;
  private ByteBuf single;
  private CompositeByteBuf composite;

  public Outbox(ByteBufAllocator alloc) {
    this.alloc = alloc;
  }

  /** Takes ownership of {@code b}. */
  public void add(ByteBuf b) {
    if (composite != null) {
      composite.addComponent(true, b);
    } else if (single == null) {
      single = b;
    } else {
      composite = alloc.compositeDirectBuffer(64);
      composite.addComponent(true, single);
      composite.addComponent(true, b);
      single = null;
    }
  }

  public boolean isEmpty() {
    return single == null && composite == null;
  }

  /** What was collected, now owned by the caller; null when nothing was. */
  public ByteBuf take() {
    ByteBuf out = composite != null ? composite : single;
    single = null;
    composite = null;
    return out;
  }

  /** Drops what was collected. */
  public void clear() {
    ByteBuf b = take();
    if (b != null) {
      b.release();
    }
  }
}
