package dev.breakwater.client;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/** Parses the durations environment variables carry: {@code 30s}, {@code 500ms}, {@code 2m}, {@code 30000}. */
final class Durations {

  /** A bare number is milliseconds, as PostgreSQL reads {@code statement_timeout}. */
  static Duration parse(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    if (s.startsWith("pt")) {
      try {
        return Duration.parse(s);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException("not a duration: " + text, e);
      }
    }
    int i = 0;
    while (i < s.length() && Character.isDigit(s.charAt(i))) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException("not a duration: " + text + " (try 30s, 500ms or 30000)");
    }
    long n = Long.parseLong(s.substring(0, i));
    switch (s.substring(i).trim()) {
      case "":
      case "ms":
        return Duration.ofMillis(n);
      case "s":
      case "sec":
        return Duration.ofSeconds(n);
      case "m":
      case "min":
        return Duration.ofMinutes(n);
      case "h":
        return Duration.ofHours(n);
      default:
        throw new IllegalArgumentException("not a duration: " + text + " (try 30s, 500ms or 30000)");
    }
  }

  /** Short human form for logs and messages: {@code 500 ms}, {@code 1.5 s}, {@code 31 s}. */
  static String format(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    if (ms % 1000 == 0 || ms >= 10_000) {
      return Math.round(ms / 1000.0) + " s";
    }
    return String.format(java.util.Locale.ROOT, "%.1f s", ms / 1000.0);
  }

  private Durations() {}
}
