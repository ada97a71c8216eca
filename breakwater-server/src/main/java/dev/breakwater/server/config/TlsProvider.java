package dev.breakwater.server.config;

import java.util.Locale;

/**
 * Which TLS implementation {@code tls_provider} asks for: BoringSSL through netty-tcnative when
 * its native library loads (auto), BoringSSL or nothing (openssl), or the JDK's own (jdk).
 */
public enum TlsProvider {
  AUTO("auto"),
  OPENSSL("openssl"),
  JDK("jdk");

  private final String configName;

  TlsProvider(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** Parses a config value, ignoring case. */
  public static TlsProvider parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (TlsProvider p : values()) {
      if (p.configName.equals(wanted)) {
        return p;
      }
    }
    throw new IllegalArgumentException(
        "invalid tls_provider \"" + text + "\" (allowed: " + allowedNames() + ")");
  }

  public static String allowedNames() {
    return ConfigNames.join(values(), TlsProvider::configName);
  }
}
