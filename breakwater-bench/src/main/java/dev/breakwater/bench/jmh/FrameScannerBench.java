package dev.breakwater.bench.jmh;

import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.server.Outbox;
import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.frontend.ClientConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The forwarding path of one read: a {@link FrameScanner} configured as Breakwater configures it
 * finds the message boundaries of a pgbench -S stream, hands runs of messages on as retained
 * slices, and an {@link Outbox} gathers them into the one buffer that would be written.
 *
 * <p>One operation is one read of {@code transactions} pgbench transactions (1: a quiet
 * connection, 16: a busy one whose replies queue up), in pgbench's {@code mode}. Divide the time by
 * {@code transactions} for the cost per transaction.
 *
 * <ul>
 *   <li>{@code serverReplies}: the server's replies, as a logged-in ServerConnection reads them
 *       (only ReadyForQuery, ErrorResponse, ParameterStatus, BackendKeyData, NegotiateProtocol read)
 *   <li>{@code serverRepliesSplitting}: the same while statement mapping needs each reply placed
 *       (ParseComplete, BindComplete, CommandComplete... read too)
 *   <li>{@code serverRepliesTwoReads}: the busy stream arriving in two reads cut mid-message
 *   <li>{@code clientRequests}: the client's requests as the server side scans them (Parse, Bind,
 *       Describe, Close and Query read whole, to map statement names)
 *   <li>{@code clientRequestsFrontend}: the client's requests as its ClientConnection scans them
 *       (Terminate and password messages read; Sync and Query counted from headers)
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-XX:+UseParallelGC"})
public class FrameScannerBench {

  @Param({"simple", "extended", "prepared"})
  public String mode;

  @Param({"1", "16"})
  public int transactions;

  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private ByteBuf replies;
  private ByteBuf repliesFirst;
  private ByteBuf repliesSecond;
  private ByteBuf requests;
  private FrameScanner serverScanner;
  private FrameScanner splittingScanner;
  private FrameScanner clientScanner;
  private FrameScanner frontendScanner;
  private Outbox outbox;
  private CountingHandler handler;

  @Setup(Level.Trial)
  public void setUp() {
    replies = direct(PgStreams.repeat(PgStreams.reply(mode, -4711), transactions));
    int cut = replies.readableBytes() / 2 + 3;
    repliesFirst = replies.retainedSlice(0, cut);
    repliesSecond = replies.retainedSlice(cut, replies.readableBytes() - cut);
    requests = direct(PgStreams.repeat(PgStreams.request(mode, 123456), transactions));
    // The tables the server's connections use, so that the benchmark reads what they read.
    serverScanner = new FrameScanner(alloc, 1 << 20, ServerConnection.SERVER_TYPES);
    splittingScanner = new FrameScanner(alloc, 1 << 20, ServerConnection.SERVER_TYPES);
    for (byte t : ServerConnection.SPLIT_TYPES) {
      splittingScanner.inspect(t, true);
    }
    clientScanner = new FrameScanner(alloc, 64 << 20, ServerConnection.CLIENT_TYPES);
    frontendScanner = new FrameScanner(alloc, 64 * 1024, ClientConnection.CLIENT_TYPES);
    outbox = new Outbox(alloc);
  }

  @Setup(Level.Iteration)
  public void handler(Blackhole bh) {
    handler = new CountingHandler(outbox, bh);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    repliesFirst.release();
    repliesSecond.release();
    replies.release();
    requests.release();
    serverScanner.release();
    splittingScanner.release();
    clientScanner.release();
    frontendScanner.release();
  }

  private ByteBuf direct(byte[] bytes) {
    ByteBuf b = alloc.directBuffer(bytes.length);
    b.writeBytes(bytes);
    return b;
  }

  @Benchmark
  public void serverReplies() {
    scan(serverScanner, replies);
  }

  @Benchmark
  public void serverRepliesSplitting() {
    scan(splittingScanner, replies);
  }

  @Benchmark
  public void serverRepliesTwoReads() {
    scan(serverScanner, repliesFirst);
    scan(serverScanner, repliesSecond);
  }

  @Benchmark
  public void clientRequests() {
    scan(clientScanner, requests);
  }

  @Benchmark
  public void clientRequestsFrontend() {
    scan(frontendScanner, requests);
  }

  private void scan(FrameScanner scanner, ByteBuf in) {
    in.readerIndex(0);
    scanner.scan(in, handler);
    ByteBuf out = outbox.take();
    if (out != null) {
      handler.bh.consume(out.readableBytes());
      out.release();
    }
  }

  /** Reads what Breakwater reads of each message, and gathers the forwarded bytes. */
  static final class CountingHandler implements FrameScanner.Handler {
    final Outbox outbox;
    final Blackhole bh;
    int readyForQuery;
    int syncs;

    CountingHandler(Outbox outbox, Blackhole bh) {
      this.outbox = outbox;
      this.bh = bh;
    }

    @Override
    public boolean onMessage(byte type, ByteBuf message) {
      if (type == MessageType.READY_FOR_QUERY) {
        bh.consume(message.getByte(message.readerIndex() + 5));
        readyForQuery++;
      } else {
        bh.consume(message.getInt(message.readerIndex() + 1));
      }
      return true;
    }

    @Override
    public void onForwardedHeader(byte type, int length) {
      if (type == MessageType.SYNC || type == MessageType.QUERY) {
        syncs++;
      }
    }

    @Override
    public void onForward(ByteBuf bytes) {
      outbox.add(bytes);
    }
  }
}
