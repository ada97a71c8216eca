package dev.breakwater.server.admin;

import dev.breakwater.server.pool.Pool;
import java.util.List;

/** SHOW STATE: whether Breakwater is active, paused (every pool) or suspended (never). */
final class ShowState implements View {

  @Override
  public Result show(Observed o) {
    boolean paused = allPaused(o.pools());
    return Result.of("key", ColumnType.TEXT, "value", ColumnType.TEXT)
        .row("active", paused ? "no" : "yes")
        .row("paused", paused ? "yes" : "no")
        .row("suspended", "no");
  }

  static boolean allPaused(List<Pool> pools) {
    if (pools.isEmpty()) {
      return false;
    }
    for (Pool p : pools) {
      if (!p.isPaused()) {
        return false;
      }
    }
    return true;
  }
}
