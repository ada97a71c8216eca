package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.breakwater.client.BreakwaterPool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;

/**
 * An AWS Lambda handler on a Breakwater pool. The pool lives in a static field: built once per
 * execution environment, in the init phase, and reused by every invocation it serves. With
 * SnapStart, the pool's checkpoint hook closes the connection warmUp() opened before the snapshot
 * and the first invocation after a restore opens a fresh one.
 */
public class OrderCountHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

  private static final BreakwaterPool POOL = BreakwaterPool.fromEnvironment();

  static {
    try {
      POOL.warmUp(); // the init phase pays for the first connection (and its TLS), not a caller
    } catch (SQLException e) {
      // The database may be waking (a Neon branch scaled to zero): the first invocation connects.
    }
  }

  @Override
  public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
    String customer = String.valueOf(event.getOrDefault("customer", "nobody"));
    try (Connection c = POOL.getConnection();
        PreparedStatement q = c.prepareStatement("SELECT length(?) AS n, current_setting('statement_timeout') AS t")) {
      q.setString(1, customer);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return Map.of("statusCode", 200, "customer", customer, "n", rs.getInt("n"), "statement_timeout", rs.getString("t"));
      }
    } catch (SQLException e) {
      // A full pool or a database that does not answer: fail this invocation fast, with the reason.
      return Map.of("statusCode", 503, "error", e.getMessage(), "sqlstate", String.valueOf(e.getSQLState()));
    }
  }
}
