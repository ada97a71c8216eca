package dev.breakwater.client;

import java.time.Duration;
import java.util.Objects;

/**
 * When the pool's alerts fire. The defaults are the seed documents': waiting callers for more than
 * 30 s, every connection open for more than 60 s; a connection-error alert ends once no attempt
 * has failed for {@code errorsQuietFor} or one has succeeded. {@code checkEvery} is how often the
 * monitor looks.
 */
public record AlertSettings(
    Duration waitingFor, Duration saturatedFor, Duration errorsQuietFor, Duration checkEvery) {

  public AlertSettings {
    Objects.requireNonNull(waitingFor, "waitingFor");
    Objects.requireNonNull(saturatedFor, "saturatedFor");
    Objects.requireNonNull(errorsQuietFor, "errorsQuietFor");
    Objects.requireNonNull(checkEvery, "checkEvery");
    if (checkEvery.toMillis() < 1) {
      throw new IllegalArgumentException("checkEvery must be at least 1 ms");
    }
  }

  public static AlertSettings defaults() {
    return new AlertSettings(
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(1));
  }
}
