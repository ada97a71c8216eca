package dev.breakwater.client;

/**
 * How large each instance's pool may be, given the database's connection limit and how many
 * instances run at once.
 *
 * <p>The rule, applied to the usable connections {@code u = databaseMaxConnections - reserved}:
 *
 * <pre>
 *   size = min( 20,                      never more per instance: the seeds' largest pool
 *               u / 2,                   one instance never takes more than half
 *               2.5 * 2^log10(u),        5 at 10 connections, doubling with every tenfold
 *               u / instances )          all instances together stay within the limit
 * </pre>
 *
 * rounded down, and at least 1 while {@code u / instances >= 1}; 0 means no pool fits.
 *
 * <p>With one instance this reproduces the Neon plan table of the seed documents (free 10 &rarr; 5,
 * launch 100 &rarr; 10, scale 1000 &rarr; 20), and it keeps their fleet arithmetic true: 100
 * instances on 500 connections get 5 each, 100 &times; 5 = 500. The logarithmic middle term says
 * that a bigger database mostly serves more instances, not bigger pools per instance.
 */
public final class PoolSizing {

  /** No instance is advised more connections than this. */
  public static final int MAX_RECOMMENDED = 20;

  /** The planner's answer. {@code maxSize} 0 means no per-instance pool fits. */
  public record Recommendation(int databaseMaxConnections, int instances, int reserved, int maxSize) {

    public int usable() {
      return databaseMaxConnections - reserved;
    }

    /** Connections the fleet may open when every instance's pool is full. */
    public int atFullScale() {
      return maxSize * instances;
    }

    public boolean fits() {
      return maxSize >= 1;
    }
  }

  /**
   * The largest advised per-instance pool size.
   *
   * @param databaseMaxConnections the database's (or the pooler's) connection limit, at least 1
   * @param instances how many instances may run at once, at least 1
   * @param reserved connections kept for other clients (migrations, psql, monitoring), 0 or more
   */
  public static Recommendation recommend(int databaseMaxConnections, int instances, int reserved) {
    if (databaseMaxConnections < 1) {
      throw new IllegalArgumentException("databaseMaxConnections must be at least 1");
    }
    if (instances < 1) {
      throw new IllegalArgumentException("instances must be at least 1");
    }
    if (reserved < 0 || reserved >= databaseMaxConnections) {
      throw new IllegalArgumentException("reserved must be between 0 and databaseMaxConnections - 1");
    }
    int usable = databaseMaxConnections - reserved;
    int perInstanceShare = usable / instances;
    int size = Math.max(1, Math.min(MAX_RECOMMENDED, Math.min(usable / 2, logarithmic(usable))));
    size = Math.min(size, perInstanceShare);
    return new Recommendation(databaseMaxConnections, instances, reserved, size);
  }

  /** 2.5 &times; 2<sup>log10(u)</sup>: 5 at 10, 10 at 100, 20 at 1000. */
  static int logarithmic(int usable) {
    return (int) Math.floor(2.5 * Math.pow(2, Math.log10(usable)));
  }

  private PoolSizing() {}
}
