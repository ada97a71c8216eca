package dev.breakwater.server.config;

import java.util.Locale;

/** How a database with several hosts ({@code host=a,b}) spreads new server connections. */
public enum LoadBalanceHosts {
  /** Try the hosts in the order given. */
  DISABLE("disable"),
  /** Rotate through the hosts; PgBouncer's default. */
  ROUND_ROBIN("round-robin");

  private final String configName;

  LoadBalanceHosts(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** Parses a config value, ignoring case. */
  public static LoadBalanceHosts parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (LoadBalanceHosts mode : values()) {
      if (mode.configName.equals(wanted)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "invalid load_balance_hosts \"" + text + "\" (allowed: " + allowedNames() + ")");
  }

  public static String allowedNames() {
    return ConfigNames.join(values(), LoadBalanceHosts::configName);
  }
}
