package dev.breakwater.server.frontend;

import dev.breakwater.server.ClientMemory;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import java.util.ArrayList;
import java.util.List;

/**
 * What a client sent while its login could not read it (auth_query looks the user up, a password
 * check runs, the server parameters are awaited): made for that wait only, by {@link ClientLogin}.
 * Reserved in {@link ClientMemory#GLOBAL} when it has room; reading pauses past {@link #MAX_HELD}
 * or when it has none. On the client's event loop.
 */
final class HeldBytes {

  /** Stop reading a client that sent this much the login could not read yet. */
  private static final int MAX_HELD = 1 << 20;

  private final Channel channel;
  private final List<ByteBuf> bytes = new ArrayList<>();
  private int size;
  private int reserved;
  private boolean readingPaused;

  HeldBytes(Channel channel) {
    this.channel = channel;
  }

  /** Keeps {@code in} (now owned here) until the login can read it, or the session takes it. */
  void add(ByteBuf in) {
    int n = in.readableBytes();
    bytes.add(in);
    size += n;
    boolean ok = ClientMemory.GLOBAL.reserve(n);
    if (ok) {
      reserved += n;
    }
    if ((!ok || size > MAX_HELD) && !readingPaused) {
      readingPaused = true;
      channel.config().setAutoRead(false);
    }
  }

  /** The wait is over: the memory is given back, reading goes on, and the bytes are the caller's. */
  List<ByteBuf> take() {
    ClientMemory.GLOBAL.release(reserved);
    reserved = 0;
    if (readingPaused) {
      readingPaused = false;
      channel.config().setAutoRead(true);
    }
    return bytes;
  }

  /** The client closed: the bytes and the memory they held go. */
  void release() {
    bytes.forEach(ByteBuf::release);
    bytes.clear();
    ClientMemory.GLOBAL.release(reserved);
    reserved = 0;
  }
}
