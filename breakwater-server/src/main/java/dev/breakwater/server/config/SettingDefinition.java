package dev.breakwater.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.function.Function;

/**
 * One {@code [pgbouncer]} setting: its name, type, default (as PgBouncer prints it in SHOW CONFIG),
 * whether it may change at run time, whether Breakwater acts on it yet, and how to parse and print
 * it. The whole table is {@link ConfigLoader#definitions()}, in SHOW CONFIG order.
 */
public final class SettingDefinition {

  /** The kinds of value a setting holds. */
  public enum Type {
    STRING("string"),
    /** A file name; relative names are resolved against the directory of the config file. */
    PATH("path"),
    /** Comma-separated items. */
    LIST("list"),
    INT("integer"),
    /** 0 or 1, as PgBouncer writes booleans. */
    BOOL("0/1"),
    /** Seconds, fractions allowed; shown to the microsecond. */
    SECONDS("seconds"),
    /** Whole seconds. */
    WHOLE_SECONDS("whole seconds"),
    /** One of a fixed set of names. */
    ENUM("enum");

    private final String docName;

    Type(String docName) {
      this.docName = docName;
    }

    /** How the docs name the type. */
    public String docName() {
      return docName;
    }
  }

  /** Turns the text of a value into its typed form. */
  @FunctionalInterface
  interface Parser {
    /**
     * @param baseDir directory that relative paths are resolved against, or null
     * @throws ValueParsers.BadValue when the text is not acceptable
     */
    Object parse(String text, Path baseDir);
  }

  private final String name;
  private final Type type;
  private final String defaultText;
  private final boolean reloadable;
  private final boolean actedOn;
  private final String allowed;
  private final String description;
  private final Parser parser;
  private final Function<General, Object> getter;

  SettingDefinition(
      String name,
      Type type,
      String defaultText,
      boolean reloadable,
      boolean actedOn,
      String allowed,
      String description,
      Parser parser,
      Function<General, Object> getter) {
    this.name = name;
    this.type = type;
    this.defaultText = defaultText;
    this.reloadable = reloadable;
    this.actedOn = actedOn;
    this.allowed = allowed;
    this.description = description;
    this.parser = parser;
    this.getter = getter;
  }

  /** The name in {@code pgbouncer.ini}, lower case. */
  public String name() {
    return name;
  }

  public Type type() {
    return type;
  }

  /**
   * The default exactly as PgBouncer's SHOW CONFIG prints it in its {@code default} column ("" for
   * settings whose default is "not set").
   */
  public String defaultText() {
    return defaultText;
  }

  /** Whether RELOAD or SET can change it while running (PgBouncer's {@code changeable}). */
  public boolean reloadable() {
    return reloadable;
  }

  /**
   * Whether Breakwater acts on this setting yet. Settings where this is false are still parsed and
   * validated, so a PgBouncer config loads unchanged, but they have no effect.
   */
  public boolean actedOn() {
    return actedOn;
  }

  /** What values are accepted, in words; used in error messages and docs. */
  public String allowed() {
    return allowed;
  }

  /** One line saying what the setting does. */
  public String description() {
    return description;
  }

  /** The current value in {@code general}, as SHOW CONFIG prints it. */
  public String valueText(General general) {
    return format(getter.apply(general));
  }

  /** The typed value in {@code general} (Integer, Boolean, Duration, String, Path, enum...). */
  public Object value(General general) {
    return getter.apply(general);
  }

  Object parse(String text, Path baseDir) {
    return parser.parse(text, baseDir);
  }

  /** Prints a typed value the way PgBouncer does. */
  String format(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof Duration) {
      Duration d = (Duration) value;
      return type == Type.WHOLE_SECONDS ? Long.toString(d.toSeconds())
          : ValueParsers.formatSeconds(d);
    }
    if (value instanceof Boolean) {
      return ((Boolean) value) ? "1" : "0";
    }
    if (value instanceof Collection) {
      return String.join(",", ((Collection<?>) value).stream().map(String::valueOf).toList());
    }
    if (value instanceof PoolMode) {
      return ((PoolMode) value).configName();
    }
    if (value instanceof AuthType) {
      return ((AuthType) value).configName();
    }
    if (value instanceof SslMode) {
      return ((SslMode) value).configName();
    }
    if (value instanceof TlsProvider) {
      return ((TlsProvider) value).configName();
    }
    return value.toString();
  }

  @Override
  public String toString() {
    return name + " (" + type.docName() + ", default \"" + defaultText + "\")";
  }
}
