package dev.breakwater.server.admin;


/** SHOW STATE: whether Breakwater is active, paused (every pool) or suspended (SUSPEND). */
final class ShowState implements View {

  @Override
  public Result show(Observed o) {
    boolean suspended = o.breakwater().control().isSuspended();
    boolean paused = !suspended && o.breakwater().control().isPaused(null);
    return Result.of("key", ColumnType.TEXT, "value", ColumnType.TEXT)
        .row("active", paused || suspended ? "no" : "yes")
        .row("paused", paused ? "yes" : "no")
        .row("suspended", suspended ? "yes" : "no");
  }
}
