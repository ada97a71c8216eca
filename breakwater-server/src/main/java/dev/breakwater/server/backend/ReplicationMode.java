package dev.breakwater.server.backend;

import java.util.Locale;

/**
 * The {@code replication} startup parameter: a walsender connection, logical ({@code database})
 * or physical (a true boolean), or none. Such a client gets a server connection of its own, opened
 * with the same parameter, for its whole life: see {@code ServerConnection}'s relay.
 */
public enum ReplicationMode {
  NONE("no"),
  /** {@code replication=database}: replication commands and SQL, on one database. */
  LOGICAL("database"),
  /** {@code replication=true}: replication commands only (physical streaming, base backups). */
  PHYSICAL("yes");

  private final String startupValue;

  ReplicationMode(String startupValue) {
    this.startupValue = startupValue;
  }

  /** The value sent to PostgreSQL for this mode, as PgBouncer sends it. */
  public String startupValue() {
    return startupValue;
  }

  /** SHOW SOCKETS' word for it. */
  public String showName() {
    return switch (this) {
      case NONE -> "none";
      case LOGICAL -> "logical";
      case PHYSICAL -> "physical";
    };
  }

  /**
   * The mode a client asked for, read as PostgreSQL reads it ({@code database}, or a boolean as
   * {@code parse_bool} takes it: on, off, true, false, yes, no, 1, 0 and unique prefixes of the
   * words); null when the value is none of these.
   */
  public static ReplicationMode parse(String value) {
    if (value.equals("database")) {
      return LOGICAL;
    }
    String v = value.toLowerCase(Locale.ROOT);
    if (v.isEmpty()) {
      return null;
    }
    if (v.equals("1") || "true".startsWith(v) || "yes".startsWith(v) || (v.length() >= 2 && "on".startsWith(v))) {
      return PHYSICAL;
    }
    if (v.equals("0") || "false".startsWith(v) || "no".startsWith(v) || (v.length() >= 2 && "off".startsWith(v))) {
      return NONE;
    }
    return null;
  }
}
