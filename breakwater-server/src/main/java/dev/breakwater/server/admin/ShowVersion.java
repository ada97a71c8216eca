package dev.breakwater.server.admin;

/** SHOW VERSION: one row, one column {@code version}. */
final class ShowVersion implements View {

  /** Breakwater's version, and the PgBouncer version whose console it answers like. */
  static final String VERSION =
      dev.breakwater.server.Version.banner() + " (PgBouncer 1.25.1 compatible)";

  @Override
  public Result show(Observed o) {
    return Result.of("version", ColumnType.TEXT).row(VERSION);
  }
}
