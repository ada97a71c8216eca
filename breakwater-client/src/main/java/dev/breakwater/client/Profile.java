package dev.breakwater.client;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * The per-environment pool settings of the seed documents: how many connections one instance may
 * open, how long an idle one is kept, and how long a caller waits for one before failing.
 *
 * <p>Chosen from {@code APP_ENV}, then {@code NODE_ENV}, then {@link #DEVELOPMENT}. Preview,
 * staging and production are serverless profiles: small pools that fail fast, because many
 * instances each hold a pool of their own.
 */
public enum Profile {
  DEVELOPMENT("development", 10, Duration.ofSeconds(60), Duration.ofSeconds(5), false),
  PREVIEW("preview", 3, Duration.ofSeconds(20), Duration.ofSeconds(2), true),
  STAGING("staging", 5, Duration.ofSeconds(30), Duration.ofSeconds(3), true),
  PRODUCTION("production", 5, Duration.ofSeconds(30), Duration.ofSeconds(3), true);

  private final String envName;
  private final int maxSize;
  private final Duration idleTimeout;
  private final Duration connectionTimeout;
  private final boolean serverless;

  Profile(
      String envName,
      int maxSize,
      Duration idleTimeout,
      Duration connectionTimeout,
      boolean serverless) {
    this.envName = envName;
    this.maxSize = maxSize;
    this.idleTimeout = idleTimeout;
    this.connectionTimeout = connectionTimeout;
    this.serverless = serverless;
  }

  /** The value of {@code APP_ENV} that selects this profile, e.g. {@code production}. */
  public String envName() {
    return envName;
  }

  /** Most connections one pool may open. */
  public int maxSize() {
    return maxSize;
  }

  /** How long an unused connection stays open before the pool closes it. */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** How long {@code getConnection()} waits, retries included, before it throws. */
  public Duration connectionTimeout() {
    return connectionTimeout;
  }

  /** True for the profiles that run as many short-lived instances and should use a pooler. */
  public boolean serverless() {
    return serverless;
  }

  /**
   * The profile an environment name selects: the four names, case-insensitive, and the short
   * forms {@code dev}, {@code stage} and {@code prod}.
   */
  public static Optional<Profile> named(String name) {
    if (name == null) {
      return Optional.empty();
    }
    switch (name.trim().toLowerCase(Locale.ROOT)) {
      case "development":
      case "dev":
        return Optional.of(DEVELOPMENT);
      case "preview":
        return Optional.of(PREVIEW);
      case "staging":
      case "stage":
        return Optional.of(STAGING);
      case "production":
      case "prod":
        return Optional.of(PRODUCTION);
      default:
        return Optional.empty();
    }
  }
}
