package dev.breakwater.server.config;

import java.util.Locale;

/**
 * How clients prove who they are: PgBouncer's {@code auth_type}.
 *
 * <p>Mind the two that check nothing: {@link #TRUST} still requires the user name to exist in the
 * auth file, while {@link #ANY} ignores the user name altogether (every database must then name its
 * own {@code user=}, and any user may log in to the admin console as an admin).
 */
public enum AuthType {
  /** No check at all; the client's user name is ignored. Databases must force a {@code user=}. */
  ANY("any"),
  /** No password check, but the user must be listed in the auth file. */
  TRUST("trust"),
  /** Clear-text password over the wire. Deprecated in PgBouncer. */
  PLAIN("plain"),
  /**
   * MD5 password check; PgBouncer's default. A user whose stored secret is a SCRAM verifier is
   * authenticated with SCRAM instead.
   */
  MD5("md5"),
  /** SCRAM-SHA-256; the auth file must hold SCRAM verifiers or plain-text passwords. */
  SCRAM_SHA_256("scram-sha-256"),
  /** TLS client certificate; the user name is the certificate's common name. */
  CERT("cert"),
  /** The method is chosen per connection by the rules in {@code auth_hba_file}. */
  HBA("hba"),
  /** PAM; the auth file is not used. */
  PAM("pam");

  private final String configName;

  AuthType(String configName) {
    this.configName = configName;
  }

  /** The name used in {@code pgbouncer.ini} ("scram-sha-256" etc.). */
  public String configName() {
    return configName;
  }

  /**
   * Whether users (and their secrets) come from {@code auth_file}: every type except {@link #ANY}
   * and {@link #PAM}, as in PgBouncer's {@code requires_auth_file()}.
   */
  public boolean usesAuthFile() {
    return this != ANY && this != PAM;
  }

  /**
   * Parses a config value, ignoring case as PgBouncer does.
   *
   * @throws IllegalArgumentException naming the allowed values
   */
  public static AuthType parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (AuthType type : values()) {
      if (type.configName.equals(wanted)) {
        return type;
      }
    }
    throw new IllegalArgumentException(
        "invalid auth type \"" + text + "\" (allowed: " + allowedNames() + ")");
  }

  /** The names accepted by {@link #parse}, comma separated. */
  public static String allowedNames() {
    return ConfigNames.join(values(), AuthType::configName);
  }
}
