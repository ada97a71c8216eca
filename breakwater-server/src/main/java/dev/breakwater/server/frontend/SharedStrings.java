package dev.breakwater.server.frontend;

import java.util.concurrent.ConcurrentHashMap;

/**
 * One copy of each short string that many clients send alike in their startup packets
 * (application_name, client_encoding, DateStyle and the like), so that 10,000 idle clients hold
 * one "UTF8" between them rather than 10,000.
 *
 * <p>Cheaper on the login path than {@link String#intern()}, which goes through the JVM's string
 * table. Bounded both ways: strings longer than {@link #MAX_LENGTH} are kept as given, and once
 * {@link #MAX_ENTRIES} strings are held no new one is added, so clients sending ever new values
 * cannot grow it past about a megabyte. Once full it stays full for the life of the process (nothing
 * is evicted): a value first seen after that, say a per-process application_name, is kept per
 * client. Thread-safe; concurrent logins may overshoot the bound by a few entries.
 */
final class SharedStrings {

  static final int MAX_LENGTH = 64;
  static final int MAX_ENTRIES = 4096;

  private final ConcurrentHashMap<String, String> strings = new ConcurrentHashMap<>();

  /** The shared copy of {@code s}, or {@code s} itself when it is too long or the set is full. */
  String share(String s) {
    if (s.length() > MAX_LENGTH) {
      return s;
    }
    String shared = strings.get(s);
    if (shared != null) {
      return shared;
    }
    if (strings.size() >= MAX_ENTRIES) {
      return s;
    }
    shared = strings.putIfAbsent(s, s);
    return shared != null ? shared : s;
  }

  int size() {
    return strings.size();
  }
}
