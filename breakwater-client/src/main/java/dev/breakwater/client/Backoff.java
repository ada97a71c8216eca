package dev.breakwater.client;

import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with jitter: the n-th delay is drawn from [d/2, d] where d doubles from
 * {@code baseMillis} up to {@code capMillis}. The random half keeps many instances that lost the
 * same server from coming back in step.
 */
final class Backoff {
  private final long baseMillis;
  private final long capMillis;
  private final Random random;

  Backoff(long baseMillis, long capMillis) {
    this(baseMillis, capMillis, null);
  }

  Backoff(long baseMillis, long capMillis, Random random) {
    if (baseMillis < 1 || capMillis < baseMillis) {
      throw new IllegalArgumentException("need 1 <= base <= cap");
    }
    this.baseMillis = baseMillis;
    this.capMillis = capMillis;
    this.random = random;
  }

  /** The delay before retry number {@code attempt} (0 for the first retry). */
  long delayMillis(int attempt) {
    long d = baseMillis << Math.min(attempt, 20);
    if (d > capMillis || d <= 0) {
      d = capMillis;
    }
    long half = d / 2;
    Random r = random != null ? random : ThreadLocalRandom.current();
    return half + (long) (r.nextDouble() * (d - half + 1));
  }
}
