package dev.breakwater.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** PostgreSQL's md5 password scheme: secrets "md5" + md5(password + user), salted answers. */
public final class Md5Password {

  /** The stored form of a password: "md5" followed by 32 hex digits. */
  public static String encrypt(String password, String user) {
    return "md5" + hex(md5(concat(utf8(password), utf8(user))));
  }

  /** The answer to an md5 challenge, from the stored form and the 4-byte salt. */
  public static String saltedResponse(String storedMd5, byte[] salt) {
    byte[] inner = storedMd5.substring(3).getBytes(StandardCharsets.US_ASCII);
    return "md5" + hex(md5(concat(inner, salt)));
  }

  /** True when {@code s} has the shape of a stored md5 secret. */
  public static boolean isMd5Secret(String s) {
    if (s.length() != 35 || !s.startsWith("md5")) {
      return false;
    }
    for (int i = 3; i < 35; i++) {
      char c = s.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }

  static byte[] md5(byte[] data) {
    try {
      return MessageDigest.getInstance("MD5").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder(b.length * 2);
    for (byte x : b) {
      sb.append(Character.forDigit((x >> 4) & 0xf, 16)).append(Character.forDigit(x & 0xf, 16));
    }
    return sb.toString();
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = new byte[a.length + b.length];
    System.arraycopy(a, 0, r, 0, a.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }

  private Md5Password() {}
}
