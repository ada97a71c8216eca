package dev.breakwater.server.config;

import java.util.Locale;

/** TLS mode for {@code client_tls_sslmode} and {@code server_tls_sslmode}, named as in libpq. */
public enum SslMode {
  DISABLE("disable"),
  ALLOW("allow"),
  PREFER("prefer"),
  REQUIRE("require"),
  VERIFY_CA("verify-ca"),
  VERIFY_FULL("verify-full");

  private final String configName;

  SslMode(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** Parses a config value, ignoring case. */
  public static SslMode parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (SslMode mode : values()) {
      if (mode.configName.equals(wanted)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "invalid sslmode \"" + text + "\" (allowed: " + allowedNames() + ")");
  }

  public static String allowedNames() {
    return ConfigNames.join(values(), SslMode::configName);
  }
}
