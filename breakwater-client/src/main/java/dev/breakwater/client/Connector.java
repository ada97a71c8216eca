package dev.breakwater.client;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens physical connections for HikariCP, which calls it from its own threads.
 *
 * <p>A transient failure ({@link SqlStates#isTransient}) is retried with jittered backoff until
 * the connection timeout has passed since the first attempt; any other failure (wrong password,
 * no such database...) is thrown at once and handed to {@code onFatal}, which wakes the callers
 * waiting for a connection so they see the real error instead of a timeout. Every attempt and
 * failure is counted for the connection-error alert.
 */
final class Connector implements DataSource {

  private static final Logger log = LoggerFactory.getLogger(Connector.class);

  private final Driver driver = new org.postgresql.Driver();
  private final String jdbcUrl;
  private final Properties properties;
  private final long budgetMillis;
  private final Backoff backoff;
  private final Consumer<SQLException> onFatal;
  private final CountDownLatch closed = new CountDownLatch(1);

  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile SQLException lastFailure;
  private volatile long lastFailureNanos;
  private final AtomicLong successes = new AtomicLong();

  private volatile int loginTimeoutSeconds;
  private volatile PrintWriter logWriter;

  Connector(
      String jdbcUrl,
      Properties properties,
      long budgetMillis,
      Backoff backoff,
      Consumer<SQLException> onFatal) {
    this.jdbcUrl = jdbcUrl;
    this.properties = properties;
    this.budgetMillis = budgetMillis;
    this.backoff = backoff;
    this.onFatal = onFatal;
  }

  @Override
  public Connection getConnection() throws SQLException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(budgetMillis);
    for (int attempt = 0; ; attempt++) {
      attempts.incrementAndGet();
      SQLException error;
      try {
        Connection c = driver.connect(jdbcUrl, properties);
        if (c == null) {
          throw new SQLException("pgjdbc did not accept the URL " + jdbcUrl, "08001");
        }
        successes.incrementAndGet();
        return c;
      } catch (SQLException e) {
        error = e;
      }
      failures.incrementAndGet();
      lastFailure = error;
      lastFailureNanos = System.nanoTime();
      if (!SqlStates.isTransient(error)) {
        log.debug("connect failed, not retrying: {} ({})", error.getMessage(), error.getSQLState());
        onFatal.accept(error);
        throw error;
      }
      long delay = backoff.delayMillis(attempt);
      long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      boolean willRetry = delay < remaining && closed.getCount() > 0;
      log.debug(
          "connect attempt {} failed ({}: {}){}",
          attempt + 1,
          error.getSQLState(),
          error.getMessage(),
          willRetry ? ", retrying in " + delay + " ms" : "");
      if (!willRetry) {
        throw error;
      }
      try {
        if (closed.await(delay, TimeUnit.MILLISECONDS)) {
          throw error;
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
        throw error;
      }
    }
  }

  /** Stops retrying: the pool is closing. */
  void close() {
    closed.countDown();
  }

  long attempts() {
    return attempts.get();
  }

  long failures() {
    return failures.get();
  }

  SQLException lastFailure() {
    return lastFailure;
  }

  long lastFailureNanos() {
    return lastFailureNanos;
  }

  long successes() {
    return successes.get();
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("credentials come from the database URL");
  }

  @Override
  public PrintWriter getLogWriter() {
    return logWriter;
  }

  @Override
  public void setLogWriter(PrintWriter out) {
    this.logWriter = out;
  }

  @Override
  public void setLoginTimeout(int seconds) {
    this.loginTimeoutSeconds = seconds;
  }

  @Override
  public int getLoginTimeout() {
    return loginTimeoutSeconds;
  }

  @Override
  public java.util.logging.Logger getParentLogger() {
    return java.util.logging.Logger.getLogger("dev.breakwater.client");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("not a wrapper for " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }
}
