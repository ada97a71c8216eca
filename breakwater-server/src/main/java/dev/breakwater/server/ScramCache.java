package dev.breakwater.server;

import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.protocol.auth.ScramSecret;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caches the costly PBKDF2 step of SCRAM, as PgBouncer does: the keys derived from a password for
 * a given salt and iteration count, and the verifier made for a user whose auth file secret is a
 * plain password. A burst of logins then costs a few HMACs each instead of 4096 rounds; so do the
 * HTTP listener's clients, each of which logs in with a cleartext password.
 *
 * <p>Entries are keyed by a SHA-256 hash of what they were derived from (never the password
 * itself), are bounded in number and expire {@link #TTL_NANOS} after they were made.
 */
public final class ScramCache {
  private static final int MAX_ENTRIES = 10_000;
  /** How long derived keys are kept. */
  static final long TTL_NANOS = java.util.concurrent.TimeUnit.MINUTES.toNanos(10);
  private static final SecureRandom RANDOM = new SecureRandom();

  private record Entry<T>(T value, long expiresNanos) {}

  private final ConcurrentHashMap<String, Entry<ScramKeys>> keys = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Entry<ScramSecret>> verifiers = new ConcurrentHashMap<>();

  /** The keys of {@code password} for the salt and iterations a server asked for. */
  public ScramKeys keys(String password, byte[] salt, int iterations) {
    String k = hash(iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":" + password);
    long now = System.nanoTime();
    Entry<ScramKeys> cached = keys.get(k);
    if (cached != null && cached.expiresNanos() - now > 0) {
      return cached.value();
    }
    ScramKeys derived = ScramKeys.derive(password, salt, iterations);
    if (keys.size() >= MAX_ENTRIES) {
      keys.clear();
    }
    keys.put(k, new Entry<>(derived, now + TTL_NANOS));
    return derived;
  }

  /** A verifier for a plain password, made once per (user, password) with a random salt. */
  public ScramSecret verifier(String user, String password) {
    String k = hash(user.length() + ":" + user + password);
    long now = System.nanoTime();
    Entry<ScramSecret> cached = verifiers.get(k);
    if (cached != null && cached.expiresNanos() - now > 0) {
      return cached.value();
    }
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    ScramSecret made = ScramSecret.fromPassword(password, salt, ScramSecret.DEFAULT_ITERATIONS);
    if (verifiers.size() >= MAX_ENTRIES) {
      verifiers.clear();
    }
    Entry<ScramSecret> mine = new Entry<>(made, now + TTL_NANOS);
    Entry<ScramSecret> raced = verifiers.putIfAbsent(k, mine);
    if (raced != null && raced.expiresNanos() - now > 0) {
      return raced.value();
    }
    verifiers.put(k, mine);
    return made;
  }

  /** How many key sets are cached (tests). */
  public int size() {
    return keys.size();
  }

  private static String hash(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return Base64.getEncoder().encodeToString(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
