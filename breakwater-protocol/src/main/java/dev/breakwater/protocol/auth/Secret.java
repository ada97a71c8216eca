package dev.breakwater.protocol.auth;

/**
 * A user's secret as an auth file or auth_query gives it: a plain password, an md5 hash, or a
 * SCRAM-SHA-256 verifier.
 */
public sealed interface Secret {

  record Plain(String password) implements Secret {
    @Override
    public String toString() {
      return "Plain[***]";
    }
  }

  record Md5(String hash) implements Secret {
    @Override
    public String toString() {
      return "Md5[***]";
    }
  }

  record Scram(ScramSecret verifier) implements Secret {}

  /** Classifies a stored secret by its form, as PgBouncer does. */
  static Secret parse(String raw) {
    if (Md5Password.isMd5Secret(raw)) {
      return new Md5(raw);
    }
    if (raw.startsWith(ScramSecret.PREFIX)) {
      ScramSecret s = ScramSecret.parse(raw);
      if (s != null) {
        return new Scram(s);
      }
    }
    return new Plain(raw);
  }
}
