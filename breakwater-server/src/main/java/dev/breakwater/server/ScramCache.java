package dev.breakwater.server;

import dev.breakwater.protocol.auth.ScramKeys;
import dev.breakwater.protocol.auth.ScramSecret;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Caches the costly PBKDF2 step of SCRAM, as PgBouncer does: the keys derived from a password for
 * a given salt and iteration count, and the verifier made for a user whose auth file secret is a
 * plain password. A burst of logins then costs a few HMACs each instead of 4096 rounds.
 */
public final class ScramCache {
  private static final int MAX_ENTRIES = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ConcurrentHashMap<String, ScramKeys> keys = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, ScramSecret> verifiers = new ConcurrentHashMap<>();

  /** The keys of {@code password} for the salt and iterations a server asked for. */
  public ScramKeys keys(String password, byte[] salt, int iterations) {
    String k = iterations + ":" + Base64.getEncoder().encodeToString(salt) + ":" + password;
    ScramKeys cached = keys.get(k);
    if (cached != null) {
      return cached;
    }
    ScramKeys derived = ScramKeys.derive(password, salt, iterations);
    if (keys.size() >= MAX_ENTRIES) {
      keys.clear();
    }
    keys.put(k, derived);
    return derived;
  }

  /** A verifier for a plain password, made once per (user, password) with a random salt. */
  public ScramSecret verifier(String user, String password) {
    String k = user.length() + ":" + user + password;
    ScramSecret cached = verifiers.get(k);
    if (cached != null) {
      return cached;
    }
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    ScramSecret made = ScramSecret.fromPassword(password, salt, ScramSecret.DEFAULT_ITERATIONS);
    if (verifiers.size() >= MAX_ENTRIES) {
      verifiers.clear();
    }
    ScramSecret raced = verifiers.putIfAbsent(k, made);
    return raced != null ? raced : made;
  }

}
