package dev.breakwater.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class FrameScannerTest {

  private static final PooledByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  /** Records what the scanner hands on, copying bytes so every buffer can be released at once. */
  private static class Recorder implements FrameScanner.Handler {
    final ByteArrayOutputStream forwarded = new ByteArrayOutputStream();
    final List<String> inspected = new ArrayList<>();
    final List<Character> headers = new ArrayList<>();
    final List<byte[]> dropped = new ArrayList<>();
    byte dropType = 0;
    byte pauseType = 0;
    FrameScanner scanner;

    @Override
    public boolean onMessage(byte type, ByteBuf message) {
      inspected.add((char) type + ":" + message.readableBytes());
      if (type == pauseType) {
        scanner.pause();
      }
      if (type == dropType) {
        dropped.add(ByteBufUtil.getBytes(message));
        return false;
      }
      return true;
    }

    @Override
    public void onForwardedHeader(byte type, int length) {
      headers.add((char) type);
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

  private static byte[] message(char type, int bodyLength, Random r) {
    byte[] m = new byte[bodyLength + 5];
    m[0] = (byte) type;
    int len = bodyLength + 4;
    m[1] = (byte) (len >>> 24);
    m[2] = (byte) (len >>> 16);
    m[3] = (byte) (len >>> 8);
    m[4] = (byte) len;
    for (int i = 5; i < m.length; i++) {
      m[i] = (byte) r.nextInt();
    }
    return m;
  }

  /** Feeds {@code stream} in chunks of random size, releasing each chunk as a channel would. */
  private static void feed(FrameScanner scanner, Recorder rec, byte[] stream, Random r, int maxChunk) {
    int at = 0;
    while (at < stream.length) {
      int n = Math.min(stream.length - at, 1 + r.nextInt(maxChunk));
      ByteBuf chunk = ALLOC.buffer(n);
      chunk.writeBytes(stream, at, n);
      try {
        while (!scanner.scan(chunk, rec)) {
          // paused: resume with the rest of the same chunk
        }
        assertThat(chunk.isReadable()).isFalse();
      } finally {
        chunk.release();
      }
      at += n;
    }
  }

  @Test
  void forwardsEverythingInOrderWhateverTheChunking() {
    for (int seed = 0; seed < 200; seed++) {
      Random r = new Random(seed);
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      List<String> expectedInspected = new ArrayList<>();
      List<Character> expectedHeaders = new ArrayList<>();
      char[] types = {'D', 'Z', 'C', 'S', 'E', 'd'};
      for (int i = 0; i < 30; i++) {
        char t = types[r.nextInt(types.length)];
        int body = r.nextInt(10) == 0 ? r.nextInt(5000) : r.nextInt(40);
        byte[] m = message(t, body, r);
        stream.write(m, 0, m.length);
        if ((t == 'Z' || t == 'E') && m.length <= 1024) {
          expectedInspected.add(t + ":" + m.length);
        } else {
          expectedHeaders.add(t);
        }
      }
      FrameScanner scanner = new FrameScanner(ALLOC, 1024, (byte) 'Z', (byte) 'E');
      Recorder rec = new Recorder() {
        @Override
        public boolean onOversized(byte type, int length) {
          return true;
        }
      };
      rec.scanner = scanner;
      rec.pauseType = 'Z';
      feed(scanner, rec, stream.toByteArray(), r, 1 + r.nextInt(300));
      assertThat(rec.forwarded.toByteArray()).as("seed %d", seed).isEqualTo(stream.toByteArray());
      assertThat(rec.inspected).as("seed %d", seed).isEqualTo(expectedInspected);
      assertThat(rec.headers).as("seed %d", seed).isEqualTo(expectedHeaders);
      assertThat(scanner.atBoundary()).isTrue();
      scanner.release();
    }
  }

  @Test
  void droppedMessagesLeaveTheStreamAndNothingElseDoes() {
    Random r = new Random(7);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    ByteArrayOutputStream kept = new ByteArrayOutputStream();
    int drops = 0;
    for (int i = 0; i < 50; i++) {
      char t = i % 3 == 0 ? 'X' : 'Q';
      byte[] m = message(t, r.nextInt(30), r);
      stream.write(m, 0, m.length);
      if (t == 'X') {
        drops++;
      } else {
        kept.write(m, 0, m.length);
      }
    }
    FrameScanner scanner = new FrameScanner(ALLOC, 100, (byte) 'X');
    Recorder rec = new Recorder();
    rec.scanner = scanner;
    rec.dropType = 'X';
    feed(scanner, rec, stream.toByteArray(), r, 17);
    assertThat(rec.forwarded.toByteArray()).isEqualTo(kept.toByteArray());
    assertThat(rec.dropped).hasSize(drops);
    assertThat(rec.dropped.get(0)[0]).isEqualTo((byte) 'X');
  }

  @Test
  void aLargeForwardedMessageStreamsThroughInPieces() {
    Random r = new Random(3);
    byte[] big = message('D', 1 << 20, r);
    FrameScanner scanner = new FrameScanner(ALLOC, 1024, (byte) 'Z');
    List<Integer> pieces = new ArrayList<>();
    FrameScanner.Handler h =
        new FrameScanner.Handler() {
          @Override
          public boolean onMessage(byte type, ByteBuf message) {
            return true;
          }

          @Override
          public void onForward(ByteBuf bytes) {
            pieces.add(bytes.readableBytes());
            bytes.release();
          }
        };
    for (int at = 0; at < big.length; at += 65536) {
      ByteBuf chunk = Unpooled.wrappedBuffer(big, at, Math.min(65536, big.length - at));
      scanner.scan(chunk, h);
      chunk.release();
    }
    assertThat(pieces).hasSizeGreaterThan(10);
    assertThat(pieces.stream().mapToInt(Integer::intValue).sum()).isEqualTo(big.length);
    assertThat(scanner.atBoundary()).isTrue();
  }

  @Test
  void keptMessagesStayInTheRunAndFlushBeforeOrdersInsertedBytes() {
    Random r = new Random(11);
    byte[] a = message('D', 10, r);
    byte[] z = message('Z', 1, r);
    byte[] b = message('D', 10, r);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    stream.write(a, 0, a.length);
    stream.write(z, 0, z.length);
    stream.write(b, 0, b.length);
    FrameScanner scanner = new FrameScanner(ALLOC, 100, (byte) 'Z');
    List<byte[]> pieces = new ArrayList<>();
    FrameScanner.Handler keep =
        new FrameScanner.Handler() {
          @Override
          public boolean onMessage(byte type, ByteBuf message) {
            return true;
          }

          @Override
          public void onForward(ByteBuf bytes) {
            pieces.add(ByteBufUtil.getBytes(bytes));
            bytes.release();
          }
        };
    ByteBuf in = Unpooled.wrappedBuffer(stream.toByteArray());
    scanner.scan(in, keep);
    in.release();
    assertThat(pieces).as("a kept message does not split the run").hasSize(1);

    pieces.clear();
    byte[] marker = {'!'};
    FrameScanner.Handler insert =
        new FrameScanner.Handler() {
          @Override
          public boolean onMessage(byte type, ByteBuf message) {
            scanner.flushBefore();
            pieces.add(marker);
            return true;
          }

          @Override
          public void onForward(ByteBuf bytes) {
            pieces.add(ByteBufUtil.getBytes(bytes));
            bytes.release();
          }
        };
    ByteBuf in2 = Unpooled.wrappedBuffer(stream.toByteArray());
    scanner.scan(in2, insert);
    in2.release();
    assertThat(pieces).hasSize(3);
    assertThat(pieces.get(0)).isEqualTo(a);
    assertThat(pieces.get(1)).isEqualTo(marker);
    assertThat(pieces.get(2)).hasSize(z.length + b.length);
  }

  @Test
  void anInvalidLengthIsAProtocolViolation() {
    FrameScanner scanner = new FrameScanner(ALLOC, 1024);
    Recorder rec = new Recorder();
    ByteBuf in = Unpooled.buffer().writeByte('Q').writeInt(3);
    assertThatThrownBy(() -> scanner.scan(in, rec))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("invalid length 3");
    in.release();
    ByteBuf negative = Unpooled.buffer().writeByte('Q').writeInt(Integer.MIN_VALUE);
    assertThatThrownBy(() -> scanner.scan(negative, rec)).isInstanceOf(ProtocolException.class);
    negative.release();
  }

  @Test
  void anOversizedInspectedMessageIsRefusedUnlessTheHandlerStreamsIt() {
    FrameScanner scanner = new FrameScanner(ALLOC, 64, (byte) 'p');
    Recorder rec = new Recorder();
    ByteBuf in = Unpooled.wrappedBuffer(message('p', 100, new Random(1)));
    assertThatThrownBy(() -> scanner.scan(in, rec))
        .isInstanceOf(ProtocolException.class)
        .satisfies(e -> assertThat(((ProtocolException) e).sqlState()).isEqualTo("54000"));
    in.release();
    // Split across reads: the header arrives first.
    FrameScanner split = new FrameScanner(ALLOC, 64, (byte) 'p');
    ByteBuf head = Unpooled.buffer().writeByte('p').writeInt(1_000_000);
    assertThatThrownBy(() -> {
          ByteBuf one = head.readRetainedSlice(3);
          try {
            split.scan(one, rec);
          } finally {
            one.release();
          }
          split.scan(head, rec);
        })
        .isInstanceOf(ProtocolException.class);
    head.release();
    split.release();
  }

  /**
   * An oversized message the handler streams: it sees the message's first OVERSIZED_HEAD bytes,
   * once, before any of them is handed on, whatever the chunking; and every byte goes on in order.
   */
  @Test
  void anOversizedMessageStreamedShowsItsHeadFirstWhateverTheChunking() {
    Random r = new Random(7);
    for (int round = 0; round < 200; round++) {
      byte[] before = message('D', r.nextInt(50), r);
      byte[] big = message('E', 300 + r.nextInt(5000), r);
      byte[] after = message('Z', 1, r);
      byte[] stream = new byte[before.length + big.length + after.length];
      System.arraycopy(before, 0, stream, 0, before.length);
      System.arraycopy(big, 0, stream, before.length, big.length);
      System.arraycopy(after, 0, stream, before.length + big.length, after.length);
      FrameScanner scanner = new FrameScanner(ALLOC, 200, (byte) 'E', (byte) 'Z');
      List<byte[]> heads = new ArrayList<>();
      int[] forwardedAtHead = {-1};
      Recorder rec =
          new Recorder() {
            @Override
            public boolean onOversized(byte type, int length) {
              return true;
            }

            @Override
            public void onOversizedHead(byte type, ByteBuf head) {
              scanner.flushBefore();
              forwardedAtHead[0] = forwarded.size();
              heads.add(ByteBufUtil.getBytes(head));
            }
          };
      rec.scanner = scanner;
      feed(scanner, rec, stream, r, 1 + r.nextInt(round % 2 == 0 ? 8 : 700));
      assertThat(heads).hasSize(1);
      int head = Math.min(FrameScanner.OVERSIZED_HEAD, big.length);
      assertThat(heads.get(0)).isEqualTo(java.util.Arrays.copyOf(big, head));
      assertThat(forwardedAtHead[0]).as("nothing of it handed on before its head is seen").isEqualTo(before.length);
      assertThat(rec.forwarded.toByteArray()).isEqualTo(stream);
      assertThat(rec.inspected).containsExactly("Z:6");
      scanner.release();
    }
  }

  /**
   * A pause asked for at an oversized message's head (a FATAL error, streamed) stops the scan once
   * the message is handed on whole, as it does after an inspected message; the next scan goes on.
   */
  @Test
  void aPauseAtAnOversizedHeadStopsTheScanAfterTheMessage() {
    Random r = new Random(11);
    byte[] big = message('E', 1000, r);
    byte[] after = message('Z', 1, r);
    FrameScanner scanner = new FrameScanner(ALLOC, 200, (byte) 'E', (byte) 'Z');
    Recorder rec =
        new Recorder() {
          @Override
          public boolean onOversized(byte type, int length) {
            return true;
          }

          @Override
          public void onOversizedHead(byte type, ByteBuf head) {
            scanner.pause();
          }
        };
    rec.scanner = scanner;
    ByteBuf in = ALLOC.buffer();
    in.writeBytes(big).writeBytes(after);
    try {
      assertThat(scanner.scan(in, rec)).as("paused").isFalse();
      assertThat(rec.forwarded.toByteArray()).isEqualTo(big);
      assertThat(rec.inspected).isEmpty();
      assertThat(scanner.scan(in, rec)).isTrue();
      assertThat(rec.inspected).containsExactly("Z:6");
    } finally {
      in.release();
      scanner.release();
    }
  }

  @Test
  void theHeadOfALongErrorDecodesTheFieldsItHoldsWhole() {
    ByteBuf out = Unpooled.buffer();
    ErrorFields.of("ERROR", "22P02", "x".repeat(5000)).encode(out, MessageType.ERROR_RESPONSE);
    ErrorFields head = ErrorFields.decodeHead(out.slice(0, FrameScanner.OVERSIZED_HEAD));
    assertThat(head.sqlState()).isEqualTo("22P02");
    assertThat(head.severity()).isEqualTo("ERROR");
    assertThat(head.fields()).doesNotContainKey('M');
    assertThat(ErrorFields.decodeHead(out.slice(0, 7)).fields()).isEmpty();
  }

  /** A budget of {@code limit} bytes that counts what is reserved. */
  private static final class TestBudget implements FrameScanner.Budget {
    final long limit;
    long used;

    TestBudget(long limit) {
      this.limit = limit;
    }

    @Override
    public boolean reserve(long bytes) {
      if (used + bytes > limit) {
        return false;
      }
      used += bytes;
      return true;
    }

    @Override
    public void release(long bytes) {
      used -= bytes;
    }

    @Override
    public long limit() {
      return limit;
    }
  }

  @Test
  void splitMessagesAreHeldWithinTheBudgetAndGiveItBack() {
    Random r = new Random(3);
    TestBudget budget = new TestBudget(4096);
    FrameScanner scanner = new FrameScanner(ALLOC, 1 << 20, (byte) 'Q');
    scanner.budget(budget);
    Recorder rec = new Recorder();
    byte[] small = message('Q', 1000, r);
    scanOnce(scanner, rec, java.util.Arrays.copyOf(small, 600));
    assertThat(budget.used).as("what the pending buffer holds is reserved").isPositive();
    scanOnce(scanner, rec, java.util.Arrays.copyOfRange(small, 600, small.length));
    assertThat(rec.inspected).containsExactly("Q:1005");
    assertThat(budget.used).as("given back once the message went on").isZero();
    // A message that outgrows the budget as it arrives: 54000, and nothing left reserved.
    byte[] big = message('Q', 100_000, r);
    scanOnce(scanner, rec, java.util.Arrays.copyOf(big, 3000));
    assertThatThrownBy(() -> scanOnce(scanner, rec, java.util.Arrays.copyOfRange(big, 3000, 20_000)))
        .isInstanceOf(ProtocolException.class)
        .satisfies(e -> assertThat(((ProtocolException) e).sqlState()).isEqualTo("54000"))
        .hasMessageContaining("4096");
    assertThat(budget.used).isZero();
    scanner.release();
    assertThat(budget.used).isZero();
  }

  /** Scans {@code bytes} as one read, releasing the buffer afterwards as a channel would. */
  private static void scanOnce(FrameScanner scanner, FrameScanner.Handler rec, byte[] bytes) {
    ByteBuf in = ALLOC.buffer(bytes.length).writeBytes(bytes);
    try {
      scanner.scan(in, rec);
    } finally {
      in.release();
    }
  }

  @Test
  void aDeclaredLengthIsNotAllocatedUpFront() {
    // A peer declares a 60 MiB inspected message (the limit is 64 MiB) and sends 10 bytes of it.
    int declared = 60 << 20;
    FrameScanner scanner = new FrameScanner(ALLOC, 64 << 20, (byte) 'Q');
    Recorder rec = new Recorder();
    byte[] start = new byte[15];
    start[0] = 'Q';
    start[1] = (byte) ((declared + 4) >>> 24);
    start[2] = (byte) ((declared + 4) >>> 16);
    start[3] = (byte) ((declared + 4) >>> 8);
    start[4] = (byte) (declared + 4);
    scanOnce(scanner, rec, start);
    assertThat(scanner.atBoundary()).isFalse();
    assertThat(scanner.pendingCapacity()).as("pending after 15 bytes").isLessThanOrEqualTo(256);
    // As bytes come the buffer grows with them, to at most twice what came.
    Random r = new Random(3);
    int sent = start.length;
    for (int i = 0; i < 40; i++) {
      byte[] more = new byte[1 + r.nextInt(8192)];
      scanOnce(scanner, rec, more);
      sent += more.length;
      assertThat(scanner.pendingCapacity()).as("pending after %d bytes", sent)
          .isLessThanOrEqualTo(Math.max(256, 2 * sent));
    }
    assertThat(rec.inspected).isEmpty();
    scanner.release();
    assertThat(scanner.pendingCapacity()).isZero();
  }

  @Test
  void aDeclaredLengthSplitInItsHeaderIsNotAllocatedUpFrontEither() {
    // The header itself arrives in two reads: the message's buffer is made at the second.
    int declared = 60 << 20;
    FrameScanner scanner = new FrameScanner(ALLOC, 64 << 20, (byte) 'Q');
    Recorder rec = new Recorder();
    scanOnce(scanner, rec, new byte[] {'Q', (byte) ((declared + 4) >>> 24)});
    scanOnce(scanner, rec, new byte[] {
        (byte) ((declared + 4) >>> 16), (byte) ((declared + 4) >>> 8), (byte) (declared + 4), 1, 2, 3});
    assertThat(scanner.pendingCapacity()).isLessThanOrEqualTo(256);
    scanOnce(scanner, rec, new byte[100_000]);
    assertThat(scanner.pendingCapacity()).isLessThanOrEqualTo(2 * 100_008);
    scanner.release();
  }

  @Test
  void aMessageThatGrowsInPiecesIsHandedOnWholeAndExact() {
    // Many sizes and chunkings of one inspected message, each byte checked: growth copies right.
    for (int seed = 0; seed < 50; seed++) {
      Random r = new Random(seed);
      byte[] m = message('Q', r.nextInt(200_000), r);
      byte[] after = message('S', 0, r);
      FrameScanner scanner = new FrameScanner(ALLOC, 1 << 20, (byte) 'Q');
      List<byte[]> whole = new ArrayList<>();
      Recorder rec = new Recorder() {
        @Override
        public boolean onMessage(byte type, ByteBuf message) {
          whole.add(ByteBufUtil.getBytes(message));
          return super.onMessage(type, message);
        }
      };
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      stream.write(m, 0, m.length);
      stream.write(after, 0, after.length);
      feed(scanner, rec, stream.toByteArray(), r, 1 + r.nextInt(20_000));
      assertThat(whole).hasSize(1);
      assertThat(whole.get(0)).as("seed %d", seed).isEqualTo(m);
      assertThat(rec.forwarded.toByteArray()).isEqualTo(stream.toByteArray());
      assertThat(scanner.atBoundary()).isTrue();
      assertThat(scanner.pendingCapacity()).isZero();
      scanner.release();
    }
  }
}
