package dev.breakwater.protocol.auth;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * A SCRAM-SHA-256 verifier as PostgreSQL stores it:
 * {@code SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>} (base64 parts).
 */
public record ScramSecret(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {

  public static final String PREFIX = "SCRAM-SHA-256$";
  public static final int DEFAULT_ITERATIONS = 4096;

  /** Parses a verifier; returns null when {@code s} is not one. */
  public static ScramSecret parse(String s) {
    if (!s.startsWith(PREFIX)) {
      return null;
    }
    String[] halves = s.substring(PREFIX.length()).split("\\$", -1);
    if (halves.length != 2) {
      return null;
    }
    String[] iterSalt = halves[0].split(":", -1);
    String[] keys = halves[1].split(":", -1);
    if (iterSalt.length != 2 || keys.length != 2) {
      return null;
    }
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      int iterations = Integer.parseInt(iterSalt[0]);
      byte[] stored = b64.decode(keys[0]);
      byte[] server = b64.decode(keys[1]);
      if (iterations < 1 || stored.length != 32 || server.length != 32) {
        return null;
      }
      return new ScramSecret(iterations, b64.decode(iterSalt[1]), stored, server);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Derives the verifier of a password, as PostgreSQL does with password_encryption = scram. */
  public static ScramSecret fromPassword(String password, byte[] salt, int iterations) {
    ScramKeys keys = ScramKeys.derive(password, salt, iterations);
    return new ScramSecret(iterations, salt.clone(), keys.storedKey(), keys.serverKey());
  }

  /** The text form, as in pg_authid.rolpassword and userlist.txt. */
  public String format() {
    Base64.Encoder b64 = Base64.getEncoder();
    return PREFIX
        + iterations
        + ":"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(storedKey)
        + ":"
        + b64.encodeToString(serverKey);
  }

  /** True when both verifiers hold the same keys (constant time). */
  public boolean sameKeys(ScramSecret other) {
    return MessageDigest.isEqual(storedKey, other.storedKey)
        && MessageDigest.isEqual(serverKey, other.serverKey);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScramSecret s
        && iterations == s.iterations
        && Arrays.equals(salt, s.salt)
        && Arrays.equals(storedKey, s.storedKey)
        && Arrays.equals(serverKey, s.serverKey);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(storedKey);
  }

  @Override
  public String toString() {
    return "ScramSecret[iterations=" + iterations + "]";
  }
}
