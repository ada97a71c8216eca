package dev.breakwater.server.admin;

/** SHOW VERSION: one row, one column {@code version}. */
final class ShowVersion implements View {

  @Override
  public Result show(Observed o) {
    return Result.of("version", ColumnType.TEXT).row(dev.breakwater.server.Version.description());
  }
}
