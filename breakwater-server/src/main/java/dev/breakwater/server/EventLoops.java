package dev.breakwater.server;

import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;

/** What several event loops are asked together. */
public final class EventLoops {

  private EventLoops() {}

  /**
   * Completes once each of {@code loops} has run what it had already received. A task wakes a
   * loop, and a loop handles the sockets that are ready before the tasks it wakes for, so bytes
   * that arrived before this call (a Terminate on another connection) have been read by then.
   * PgBouncer serves every connection on one thread and sees them in that order anyway; this is
   * how a view or a limit that depends on another connection's last message sees it here.
   */
  public static CompletableFuture<Void> settled(Iterable<? extends EventExecutor> loops) {
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (EventExecutor loop : loops) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      try {
        loop.execute(() -> f.complete(null));
      } catch (RejectedExecutionException e) {
        f.complete(null);
      }
      all.add(f);
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
  }
}
