package dev.breakwater.server.config;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Parsers for setting values, matching PgBouncer's (libusual's) rules: integers as C's {@code
 * strtol(s, 0)} reads them (so {@code 0777} is octal and {@code 0x10} is hex), times as seconds
 * that may be fractional and never carry a unit, lists separated by commas.
 */
final class ValueParsers {
  private ValueParsers() {}

  /** A value that does not parse; {@link #allowed} says what would. */
  static final class BadValue extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String allowed;

    BadValue(String allowed) {
      super(allowed, null, false, false);
      this.allowed = allowed;
    }
  }

  static final String SECONDS_ALLOWED =
      "a number of seconds >= 0 such as 30 or 0.5; units such as \"s\" or \"ms\" are not accepted";
  static final String WHOLE_SECONDS_ALLOWED =
      "a whole number of seconds >= 0; units such as \"s\" or \"min\" are not accepted";

  private static final Pattern DECIMAL = Pattern.compile("[+-]?[1-9][0-9]*|[+-]?0");
  private static final Pattern OCTAL = Pattern.compile("[+-]?0[0-7]+");
  private static final Pattern HEX = Pattern.compile("[+-]?0[xX][0-9a-fA-F]+");
  private static final Pattern SECONDS =
      Pattern.compile("\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");
  private static final BigDecimal MICROS_PER_SECOND = BigDecimal.valueOf(1_000_000L);
  /** About 31 years; far above any sensible timeout and safe from overflow. */
  private static final BigDecimal MAX_SECONDS = BigDecimal.valueOf(1_000_000_000L);

  static String intAllowed(long min, long max) {
    if (max == Integer.MAX_VALUE) {
      return "an integer >= " + min;
    }
    return "an integer from " + min + " to " + max;
  }

  /** An integer in [min, max], read as {@code strtol(text, NULL, 0)} would. */
  static int integer(String text, int min, int max) {
    String allowed = intAllowed(min, max);
    String s = text.trim();
    long value;
    try {
      if (DECIMAL.matcher(s).matches()) {
        value = Long.parseLong(s.startsWith("+") ? s.substring(1) : s);
      } else if (OCTAL.matcher(s).matches()) {
        value = signed(s, 1, 8);
      } else if (HEX.matcher(s).matches()) {
        value = signed(s, 2, 16);
      } else {
        throw new BadValue(allowed);
      }
    } catch (NumberFormatException e) {
      throw new BadValue(allowed);
    }
    if (value < min || value > max) {
      throw new BadValue(allowed);
    }
    return (int) value;
  }

  private static long signed(String s, int prefixLength, int radix) {
    boolean negative = s.startsWith("-");
    String body = s.startsWith("-") || s.startsWith("+") ? s.substring(1) : s;
    long magnitude = Long.parseLong(body.substring(prefixLength), radix);
    return negative ? -magnitude : magnitude;
  }

  /** PgBouncer's booleans are integers: 0 is off, anything else is on. */
  static boolean bool(String text) {
    try {
      return integer(text, 0, Integer.MAX_VALUE) != 0;
    } catch (BadValue e) {
      throw new BadValue("0 or 1");
    }
  }

  /** Seconds, possibly fractional ("0.5"), kept to the microsecond as PgBouncer does. */
  static Duration seconds(String text) {
    String s = text.trim();
    if (!SECONDS.matcher(s).matches()) {
      throw new BadValue(SECONDS_ALLOWED);
    }
    BigDecimal secs = new BigDecimal(s.startsWith("+") ? s.substring(1) : s);
    if (secs.compareTo(MAX_SECONDS) > 0) {
      throw new BadValue(SECONDS_ALLOWED + ", at most " + MAX_SECONDS.toPlainString());
    }
    long micros = secs.multiply(MICROS_PER_SECOND).setScale(0, RoundingMode.DOWN).longValueExact();
    return Duration.of(micros, ChronoUnit.MICROS);
  }

  /** A whole number of seconds (settings PgBouncer stores as plain integers). */
  static Duration wholeSeconds(String text) {
    try {
      return Duration.ofSeconds(integer(text, 0, Integer.MAX_VALUE));
    } catch (BadValue e) {
      throw new BadValue(WHOLE_SECONDS_ALLOWED);
    }
  }

  /** Seconds as PgBouncer prints them: "120", "0.5". */
  static String formatSeconds(Duration d) {
    long micros = d.toSeconds() * 1_000_000L + d.toNanosPart() / 1_000L;
    return BigDecimal.valueOf(micros, 6).stripTrailingZeros().toPlainString();
  }

  /** Comma-separated items, each trimmed; empty items are dropped. */
  static List<String> list(String text) {
    List<String> items = new ArrayList<>();
    for (String item : text.split(",")) {
      String trimmed = item.trim();
      if (!trimmed.isEmpty()) {
        items.add(trimmed);
      }
    }
    return List.copyOf(items);
  }

  /** Like {@link #list} but without duplicates, in the order written. */
  static Set<String> set(String text, boolean lowerCase) {
    Set<String> items = new LinkedHashSet<>();
    for (String item : list(text)) {
      items.add(lowerCase ? item.toLowerCase(Locale.ROOT) : item);
    }
    return Collections.unmodifiableSet(items);
  }
}
