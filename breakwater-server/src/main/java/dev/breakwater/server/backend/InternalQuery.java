package dev.breakwater.server.backend;

import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.pool.Borrower;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A query Breakwater runs for itself (auth_query) on a server borrowed from a pool like any
 * client's: extended protocol, text parameters, rows kept as text. Completes its future with the
 * rows, or exceptionally with the server's error.
 */
public final class InternalQuery implements Borrower {

  /** The query failed: the server's error, or why no server could be had. */
  public static final class QueryFailed extends RuntimeException {
    private final transient ErrorFields error;

    QueryFailed(ErrorFields error) {
      super(error.toString());
      this.error = error;
    }

    public ErrorFields error() {
      return error;
    }
  }

  private final String sql;
  private final List<String> parameters;
  private final EventLoop loop;
  private final CompletableFuture<List<List<String>>> result = new CompletableFuture<>();
  private volatile long waitStartedNanos;

  public InternalQuery(String sql, List<String> parameters, EventLoop loop) {
    this.sql = sql;
    this.parameters = List.copyOf(parameters);
    this.loop = loop;
  }

  public CompletableFuture<List<List<String>>> result() {
    return result;
  }

  String sql() {
    return sql;
  }

  List<String> parameters() {
    return parameters;
  }

  void complete(List<List<String>> rows) {
    result.complete(rows);
  }

  void fail(ErrorFields error) {
    result.completeExceptionally(new QueryFailed(error));
  }

  @Override
  public EventLoop eventLoop() {
    return loop;
  }

  @Override
  public boolean isClosed() {
    return result.isDone();
  }

  @Override
  public long waitStartedNanos() {
    return waitStartedNanos;
  }

  @Override
  public void waitStartedNanos(long now) {
    waitStartedNanos = now;
  }

  @Override
  public void failWaiting(ErrorFields error, CloseReason reason) {
    fail(error);
  }

  /** The columns of a DataRow as text; null for SQL NULL. */
  static List<String> decodeRow(ByteBuf message) {
    ByteBuf body = Codec.body(message);
    int n = body.readUnsignedShort();
    List<String> row = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int len = body.readInt();
      if (len < 0) {
        row.add(null);
      } else {
        row.add(body.readCharSequence(len, StandardCharsets.UTF_8).toString());
      }
    }
    return row;
  }
}
