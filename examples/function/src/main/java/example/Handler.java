package example;

import dev.breakwater.client.BreakwaterPool;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * A serverless function handler using breakwater-client, with no cloud SDK: wire {@link #handle}
 * into AWS Lambda's RequestHandler, a Google Cloud Function, a Knative service or a plain main.
 *
 * <p>Configuration comes from the environment: DATABASE_URL (or NEON_DATABASE_URL), APP_ENV
 * (development, preview, staging, production), and optionally DATABASE_POOL_MAX_SIZE.
 */
public final class Handler {

  // One pool per instance, created on cold start and reused by every invocation.
  private static final BreakwaterPool POOL = BreakwaterPool.fromEnvironment();

  /** One invocation: borrow a connection, query, and give it back (try-with-resources). */
  public String handle(String name) throws SQLException {
    try (Connection c = POOL.getConnection();
        PreparedStatement q = c.prepareStatement("SELECT 'hello, ' || ?")) {
      q.setString(1, name);
      try (ResultSet r = q.executeQuery()) {
        r.next();
        return r.getString(1);
      }
    }
  }

  /** For a health route: {"status":"healthy","pool":{"total":1,"idle":1,"waiting":0}}. */
  public String health() {
    return POOL.health().toJson();
  }

  /** Local run: {@code DATABASE_URL=postgres://... java example.Handler world}. */
  public static void main(String[] args) throws SQLException {
    Handler handler = new Handler();
    System.out.println(handler.handle(args.length > 0 ? args[0] : "world"));
    System.out.println(handler.health());
  }
}
