package dev.breakwater.client;

/**
 * One look at a pool, with the seed documents' names: {@code total} connections open, of which
 * {@code idle} are unused and {@code active} are lent out; {@code waiting} callers blocked in
 * {@code getConnection()}; {@code max} the most the pool may open.
 */
public record PoolStats(int total, int active, int idle, int waiting, int max) {

  @Override
  public String toString() {
    return "in use "
        + active
        + ", idle "
        + idle
        + ", total "
        + total
        + " of max "
        + max
        + ", waiting "
        + waiting;
  }
}
