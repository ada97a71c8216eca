package dev.breakwater.server.admin;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;

/**
 * SHOW MEM: PgBouncer lists its slab caches (name, object size, used, free, bytes in all). Breakwater
 * has none; it lists the JVM's heap and non-heap memory in bytes: {@code size} 1, {@code used} and
 * {@code free} (committed but not used) and {@code memtotal} (committed).
 */
final class ShowMem implements View {

  @Override
  public Result show(Observed o) {
    Result r =
        Result.of(
            "name", ColumnType.TEXT,
            "size", ColumnType.INT4,
            "used", ColumnType.INT8,
            "free", ColumnType.INT8,
            "memtotal", ColumnType.INT8);
    row(r, "jvm_heap", ManagementFactory.getMemoryMXBean().getHeapMemoryUsage());
    row(r, "jvm_non_heap", ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage());
    return r;
  }

  private static void row(Result r, String name, MemoryUsage u) {
    r.row(name, 1, u.getUsed(), Math.max(0, u.getCommitted() - u.getUsed()), u.getCommitted());
  }
}
