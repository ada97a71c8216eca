package dev.breakwater.client;

import java.time.Duration;

/**
 * A pool's settings, resolved once from the builder, the environment and the profile (in that
 * order of precedence) by {@link BreakwaterPool.Builder#settings()}.
 *
 * @param profileSource where the profile came from: {@code APP_ENV}, {@code NODE_ENV}, {@code
 *     builder} or {@code default}
 * @param statementTimeout sent as a startup option; {@link Duration#ZERO} sends none; null when the
 *     URL's own {@code options} already set one
 */
public record PoolSettings(
    String name,
    Profile profile,
    String profileSource,
    DatabaseUrl url,
    int minSize,
    int maxSize,
    Duration idleTimeout,
    Duration connectionTimeout,
    Duration maxLifetime,
    Duration statementTimeout,
    Duration leakDetectionThreshold) {

  @Override
  public String toString() {
    return "pool '"
        + name
        + "' ("
        + profile.envName()
        + " profile from "
        + profileSource
        + "): max "
        + maxSize
        + ", min "
        + minSize
        + ", idle timeout "
        + Durations.format(idleTimeout)
        + ", connection timeout "
        + Durations.format(connectionTimeout)
        + ", statement_timeout "
        + (statementTimeout == null
            ? "from the URL"
            : statementTimeout.isZero() ? "off" : Durations.format(statementTimeout))
        + ", "
        + url;
  }
}
