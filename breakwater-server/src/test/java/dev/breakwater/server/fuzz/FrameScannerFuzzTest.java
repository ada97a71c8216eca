package dev.breakwater.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.testkit.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * FrameScanner, which frames every byte a client or server sends: whatever the bytes and however
 * they are split into reads, it sees the same messages and forwards the same bytes as when they come
 * in one read, throws nothing but ProtocolException, and holds no buffer after release.
 */
@ExtendWith(LeakCheck.class)
class FrameScannerFuzzTest {

  static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;
  static final int MAX_INSPECTED = 64;

  /** What the scanner handed on; "!" at the end when it threw ProtocolException. */
  static class Recorder implements FrameScanner.Handler {
    final ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
    final List<String> events = new ArrayList<>();
    final boolean forwardOversized;
    FrameScanner scanner;

    Recorder(boolean forwardOversized) {
      this.forwardOversized = forwardOversized;
    }

    @Override
    public boolean onMessage(byte type, ByteBuf message) {
      events.add("m" + (char) type + ByteBufUtil.hexDump(message));
      if (type == 'P') {
        scanner.pause();
      }
      return type != 'X';
    }

    @Override
    public void onForwardedHeader(byte type, int length) {
      events.add("h" + (char) type + length);
    }

    @Override
    public boolean onOversized(byte type, int length) {
      events.add("o" + (char) type + length);
      return forwardOversized;
    }

    @Override
    public void onForward(ByteBuf bytes) {
      try {
        forwarded.write(ByteBufUtil.getBytes(bytes), 0, bytes.readableBytes());
      } finally {
        bytes.release();
      }
    }
  }

  /** Feeds {@code stream} cut at {@code cuts} (positions, taken modulo its length). */
  static Recorder run(byte[] stream, List<Integer> cuts, boolean forwardOversized) {
    FrameScanner scanner = new FrameScanner(ALLOC, MAX_INSPECTED, (byte) 'Q', (byte) 'P', (byte) 'X');
    Recorder rec = new Recorder(forwardOversized);
    rec.scanner = scanner;
    List<Integer> at = new ArrayList<>();
    for (int c : cuts) {
      at.add(stream.length == 0 ? 0 : Math.floorMod(c, stream.length));
    }
    at.add(stream.length);
    at.sort(null);
    int from = 0;
    try {
      for (int to : at) {
        if (to <= from) {
          continue;
        }
        ByteBuf chunk = ALLOC.buffer(to - from);
        chunk.writeBytes(stream, from, to - from);
        try {
          while (!scanner.scan(chunk, rec)) {
            // paused: resume with the rest of the same read
          }
          assertThat(chunk.isReadable()).isFalse();
        } finally {
          chunk.release();
        }
        from = to;
      }
    } catch (ProtocolException e) {
      rec.events.add("!");
    } finally {
      scanner.release();
    }
    return rec;
  }

  @Test
  void anySplitSeesWhatOneReadSees() {
    Fuzz.check(2000, streams(), cuts(), Gen.booleans(), (stream, cuts, forwardOversized) -> {
      Recorder whole = run(stream, List.of(), forwardOversized);
      Recorder split = run(stream, cuts, forwardOversized);
      boolean failed = !whole.events.isEmpty() && whole.events.get(whole.events.size() - 1).equals("!");
      assertThat(split.events).isEqualTo(whole.events);
      if (!failed) {
        // Everything is forwarded but the dropped (X) messages.
        assertThat(split.forwarded.toByteArray()).isEqualTo(whole.forwarded.toByteArray());
      }
    });
  }

  @Test
  void arbitraryBytes() {
    Fuzz.check(2000, Gen.bytes(200), cuts(), (stream, cuts) -> {
      run(stream, cuts, false);
      run(stream, cuts, true);
    });
  }

  /**
   * Regression (found through StartupHandlerFuzzTest): a header that arrived across reads, of a
   * forwarded type the handler refuses by throwing from onForwardedHeader (a client's query before
   * its password), was taken out of the scanner first and leaked.
   */
  @Test
  void aRefusedHeaderAcrossReadsIsFreed() throws InterruptedException {
    for (int i = 0; i < 20; i++) {
      FrameScanner scanner = new FrameScanner(ALLOC, MAX_INSPECTED, (byte) 'p');
      FrameScanner.Handler refusing = new Recorder(false) {
        @Override
        public void onForwardedHeader(byte type, int length) {
          throw new ProtocolException("expected password response");
        }
      };
      ByteBuf first = ALLOC.buffer().writeBytes(new byte[] {'Q', 0, 0});
      ByteBuf second = ALLOC.buffer().writeBytes(new byte[] {0, 9, 's', 'e', 'l', 0});
      try {
        scanner.scan(first, refusing);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> scanner.scan(second, refusing)))
            .isInstanceOf(ProtocolException.class);
      } finally {
        first.release();
        second.release();
        scanner.release();
      }
    }
    LeakCheck.check("aRefusedHeaderAcrossReadsIsFreed");
  }

  static Gen<List<Integer>> cuts() {
    return Gen.ints(0, 1 << 16).list(0, 8);
  }

  /** Well-framed messages of inspected (Q, P, X) and forwarded types, then a few edits. */
  static Gen<byte[]> streams() {
    Gen<byte[]> message =
        Gen.combine(Gen.of((byte) 'Q', (byte) 'P', (byte) 'X', (byte) 'D', (byte) 'S'), Gen.bytes(90),
            (type, body) -> Fuzz.concat(new byte[] {type}, Fuzz.int32(body.length + 4), body));
    Gen<byte[]> valid = message.list(0, 6).map(l -> Fuzz.concat(l.toArray(new byte[0][])));
    return Fuzz.mutated(valid);
  }
}
