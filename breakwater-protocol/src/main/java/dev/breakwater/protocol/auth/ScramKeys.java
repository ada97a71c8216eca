package dev.breakwater.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys of SCRAM-SHA-256 (RFC 5802, RFC 7677) and the primitives that make them. A client that
 * holds ClientKey and ServerKey can log in without the password: that is how SCRAM pass-through
 * works.
 */
public record ScramKeys(byte[] clientKey, byte[] storedKey, byte[] serverKey) {

  /** Derives the keys from a password: PBKDF2 with HMAC-SHA-256, then the two HMACs. */
  public static ScramKeys derive(String password, byte[] salt, int iterations) {
    byte[] salted = pbkdf2(saslPrep(password), salt, iterations);
    byte[] clientKey = hmac(salted, "Client Key".getBytes(StandardCharsets.US_ASCII));
    byte[] serverKey = hmac(salted, "Server Key".getBytes(StandardCharsets.US_ASCII));
    return new ScramKeys(clientKey, sha256(clientKey), serverKey);
  }

  /** Keys known from a verifier plus a ClientKey recovered from a client's proof. */
  public static ScramKeys of(byte[] clientKey, byte[] serverKey) {
    return new ScramKeys(clientKey, sha256(clientKey), serverKey);
  }

  static byte[] pbkdf2(String password, byte[] salt, int iterations) {
    try {
      SecretKeyFactory f = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256");
      PBEKeySpec spec = new PBEKeySpec(password.toCharArray(), salt, iterations, 256);
      return f.generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** SASLprep of the password, as PostgreSQL applies it (see {@link SaslPrep}). */
  static String saslPrep(String password) {
    return SaslPrep.prepare(password);
  }

  /** Looking up a provider per call is slow: a burst of logins reuses one per thread. */
  private static final ThreadLocal<Mac> MAC =
      ThreadLocal.withInitial(
          () -> {
            try {
              return Mac.getInstance("HmacSHA256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException(e);
            }
          });

  private static final ThreadLocal<MessageDigest> SHA256 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException(e);
            }
          });

  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = MAC.get();
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] sha256(byte[] data) {
    return SHA256.get().digest(data);
  }

  static byte[] xor(byte[] a, byte[] b) {
    byte[] r = new byte[a.length];
    for (int i = 0; i < a.length; i++) {
      r[i] = (byte) (a[i] ^ b[i]);
    }
    return r;
  }
}
