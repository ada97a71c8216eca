package dev.breakwater.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.text.Normalizer;
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

  /**
   * PostgreSQL applies SASLprep to passwords and uses the raw password when that fails. ASCII
   * passwords are unchanged; for others we map non-ASCII spaces to a space, drop characters mapped
   * to nothing, and normalize to NFKC, which covers the mappings that matter in practice.
   */
  static String saslPrep(String password) {
    boolean ascii = true;
    for (int i = 0; i < password.length(); i++) {
      if (password.charAt(i) >= 0x80) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      return password;
    }
    StringBuilder sb = new StringBuilder(password.length());
    for (int i = 0; i < password.length(); i++) {
      char c = password.charAt(i);
      if (c == '\u00AD' || c == '\u034F' || c == '\u1806' || (c >= '\u180B' && c <= '\u180D')
          || (c >= '\u200B' && c <= '\u200D') || c == '\u2060' || (c >= '\uFE00' && c <= '\uFE0F')
          || c == '\uFEFF') {
        continue;
      }
      if (Character.isSpaceChar(c)) {
        sb.append(' ');
      } else {
        sb.append(c);
      }
    }
    return Normalizer.normalize(sb, Normalizer.Form.NFKC);
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
