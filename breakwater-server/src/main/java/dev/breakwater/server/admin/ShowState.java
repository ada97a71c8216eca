package dev.breakwater.server.admin;


/** SHOW STATE: whether Breakwater is active, paused (every pool) or suspended (never). */
final class ShowState implements View {

  @Override
  public Result show(Observed o) {
    boolean paused = o.breakwater().control().isPaused(null);
    return Result.of("key", ColumnType.TEXT, "value", ColumnType.TEXT)
        .row("active", paused ? "no" : "yes")
        .row("paused", paused ? "yes" : "no")
        .row("suspended", "no");
  }
}
