package dev.breakwater.server.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The bearer token of the HTTP endpoint ({@code http_auth_token_file}): the file it was read from
 * (what SHOW CONFIG prints) and the SHA-256 of the token, never the token itself. Read when the
 * configuration is loaded or reloaded.
 */
public record HttpToken(Path file, byte[] sha256) {

  /** Shortest token accepted: a guessable one would protect nothing. */
  static final int MIN_LENGTH = 16;

  static final String ALLOWED =
      "a readable file holding the token (its first line, at least " + MIN_LENGTH + " characters)";

  /** Reads the token: the file's first line, without surrounding white space. */
  static HttpToken read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException | RuntimeException e) {
      throw new ValueParsers.BadValue(ALLOWED);
    }
    int eol = text.indexOf('\n');
    String token = (eol < 0 ? text : text.substring(0, eol)).strip();
    if (token.length() < MIN_LENGTH) {
      throw new ValueParsers.BadValue(ALLOWED);
    }
    return new HttpToken(file, sha256(token));
  }

  /**
   * Whether {@code presented} is the token, in time that does not depend on where they differ:
   * both are hashed, and the hashes compared with {@link MessageDigest#isEqual}.
   */
  public boolean matches(String presented) {
    return presented != null && MessageDigest.isEqual(sha256, sha256(presented));
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HttpToken t && t.file.equals(file) && MessageDigest.isEqual(t.sha256, sha256);
  }

  @Override
  public int hashCode() {
    return file.hashCode();
  }

  @Override
  public String toString() {
    return file.toString();
  }
}
