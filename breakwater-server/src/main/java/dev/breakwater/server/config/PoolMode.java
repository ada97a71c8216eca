package dev.breakwater.server.config;

import java.util.Locale;

/** When a server connection goes back to the pool: PgBouncer's {@code pool_mode}. */
public enum PoolMode {
  /** The server is released when the client disconnects. PgBouncer's default. */
  SESSION("session"),
  /** The server is released when a transaction ends (ReadyForQuery with status idle). */
  TRANSACTION("transaction"),
  /** The server is released after each statement; multi-statement transactions are refused. */
  STATEMENT("statement");

  private final String configName;

  PoolMode(String configName) {
    this.configName = configName;
  }

  /** The name used in {@code pgbouncer.ini} and printed by SHOW CONFIG. */
  public String configName() {
    return configName;
  }

  /**
   * Parses a config value, ignoring case as PgBouncer does.
   *
   * @throws IllegalArgumentException naming the allowed values
   */
  public static PoolMode parse(String text) {
    String wanted = text.trim().toLowerCase(Locale.ROOT);
    for (PoolMode mode : values()) {
      if (mode.configName.equals(wanted)) {
        return mode;
      }
    }
    throw new IllegalArgumentException(
        "invalid pool mode \"" + text + "\" (allowed: " + allowedNames() + ")");
  }

  /** "session, transaction, statement". */
  public static String allowedNames() {
    return ConfigNames.join(values(), PoolMode::configName);
  }
}
