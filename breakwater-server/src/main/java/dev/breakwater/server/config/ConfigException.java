package dev.breakwater.server.config;

import java.nio.file.Path;

/**
 * A config or auth file that cannot be used. The message says where (file and line), which setting,
 * the value found and what is allowed, for example {@code pgbouncer.ini:7: pool_mode: invalid value
 * "sessoin" (allowed: session, transaction, statement)}.
 */
public final class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  private final int line;
  private final String key;
  private final String value;
  private final String detail;

  /**
   * @param file the file at fault, or null
   * @param line 1-based line, or 0 when the problem is not on one line
   * @param key the setting concerned, or null
   * @param value the offending value, or null
   * @param detail what is wrong, without the location prefix
   */
  public ConfigException(Path file, int line, String key, String value, String detail) {
    this(file, line, key, value, detail, null);
  }

  public ConfigException(
      Path file, int line, String key, String value, String detail, Throwable cause) {
    super(location(file, line) + ": " + detail, cause);
    this.file = file;
    this.line = line;
    this.key = key;
    this.value = value;
    this.detail = detail;
  }

  /** A problem that is not about one setting: syntax, includes, missing sections. */
  public static ConfigException at(Path file, int line, String detail) {
    return new ConfigException(file, line, null, null, detail);
  }

  /**
   * {@code file:line: key: invalid value "v" (allowed: ...)}; {@code context} (such as {@code
   * database "app": }) goes before the key when the setting belongs to an entry.
   */
  static ConfigException invalidValue(
      Path file, int line, String context, String key, String value, String allowed) {
    String detail =
        context + key + ": invalid value \"" + value + "\" (allowed: " + allowed + ")"
            + commentHint(value);
    return new ConfigException(file, line, key, value, detail);
  }

  /**
   * PgBouncer takes everything after '=' as the value, so {@code pool_mode = transaction # why}
   * fails there too; say so, since it is the usual cause.
   */
  static String commentHint(String value) {
    if (value != null && (value.contains(" #") || value.contains(" ;") || value.contains("\t#")
        || value.contains("\t;"))) {
      return "; note: comments must be on their own line, '#' and ';' after a value are part"
          + " of the value";
    }
    return "";
  }

  /** The file at fault, or null. */
  public Path file() {
    return file;
  }

  /** 1-based line, or 0. */
  public int line() {
    return line;
  }

  /** The setting concerned, or null. */
  public String key() {
    return key;
  }

  /** The offending value, or null. */
  public String value() {
    return value;
  }

  /** The message without the {@code file:line: } prefix. */
  public String detail() {
    return detail;
  }

  static String location(Path file, int line) {
    String name = file == null ? "<config>" : file.toString();
    return line > 0 ? name + ":" + line : name;
  }
}
