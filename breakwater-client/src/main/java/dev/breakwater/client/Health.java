package dev.breakwater.client;

/**
 * The answer of {@link BreakwaterPool#health()}: healthy with the pool's counts after a {@code
 * SELECT 1}, or unhealthy with the error. {@link #toJson()} writes the seed document's shape:
 *
 * <pre>
 * {"status":"healthy","pool":{"total":1,"idle":1,"waiting":0}}
 * {"status":"unhealthy","error":"pool 'app': no connection within 3 s (...)"}
 * </pre>
 */
public record Health(boolean healthy, PoolStats pool, String error) {

  static Health healthy(PoolStats pool) {
    return new Health(true, pool, null);
  }

  static Health unhealthy(String error) {
    return new Health(false, null, error == null ? "unknown error" : error);
  }

  /** 200 when healthy, 503 when not. */
  public int httpStatus() {
    return healthy ? 200 : 503;
  }

  public String toJson() {
    if (healthy) {
      return "{\"status\":\"healthy\",\"pool\":{\"total\":"
          + pool.total()
          + ",\"idle\":"
          + pool.idle()
          + ",\"waiting\":"
          + pool.waiting()
          + "}}";
    }
    return "{\"status\":\"unhealthy\",\"error\":" + Json.quote(error) + "}";
  }

  @Override
  public String toString() {
    return toJson();
  }
}
