package dev.breakwater.server.config;

import java.nio.file.Path;

/**
 * Something in a config file that was accepted but deserves the operator's attention, such as an
 * unknown setting that was ignored. The loader never logs; the caller does.
 *
 * @param file the file the line is in (an included file where relevant); null if none
 * @param line 1-based line number, or 0 when the warning concerns the whole file
 */
public record ConfigWarning(Path file, int line, String message) {

  /** {@code pgbouncer.ini:12: unknown setting "foo" ignored}. */
  @Override
  public String toString() {
    return ConfigException.location(file, line) + ": " + message;
  }
}
