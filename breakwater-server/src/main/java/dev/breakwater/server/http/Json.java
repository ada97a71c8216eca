package dev.breakwater.server.http;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A small JSON writer: objects, arrays, strings, numbers, booleans and null, written in order
 * with the commas placed for the caller. The HTTP API's documents are few and flat, so a writer
 * of forty lines is clearer than a library.
 */
public final class Json {

  private final StringBuilder out = new StringBuilder(256);
  /** Per open container: whether it has had an element yet. */
  private final Deque<boolean[]> open = new ArrayDeque<>();
  private boolean afterName;

  public Json beginObject() {
    separate();
    out.append('{');
    open.push(new boolean[1]);
    return this;
  }

  public Json endObject() {
    open.pop();
    out.append('}');
    return this;
  }

  public Json beginArray() {
    separate();
    out.append('[');
    open.push(new boolean[1]);
    return this;
  }

  public Json endArray() {
    open.pop();
    out.append(']');
    return this;
  }

  /** The name of the next member of the object being written. */
  public Json name(String name) {
    separate();
    quote(name);
    out.append(':');
    afterName = true;
    return this;
  }

  public Json value(String s) {
    if (s == null) {
      return nullValue();
    }
    separate();
    quote(s);
    return this;
  }

  public Json value(long n) {
    separate();
    out.append(n);
    return this;
  }

  /** A finite double; NaN and infinities are written as null, which JSON has instead. */
  public Json value(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      return nullValue();
    }
    separate();
    if (d == Math.rint(d) && Math.abs(d) < 1e15) {
      out.append((long) d);
    } else {
      out.append(d);
    }
    return this;
  }

  public Json value(boolean b) {
    separate();
    out.append(b);
    return this;
  }

  /** A number already in text form (digits from a counter). */
  public Json number(String digits) {
    separate();
    out.append(digits);
    return this;
  }

  /** A value already written as JSON (a document built by another writer). */
  public Json raw(String json) {
    separate();
    out.append(json);
    return this;
  }

  public Json nullValue() {
    separate();
    out.append("null");
    return this;
  }

  /** name and string value. */
  public Json field(String name, String value) {
    return name(name).value(value);
  }

  public Json field(String name, long value) {
    return name(name).value(value);
  }

  public Json field(String name, double value) {
    return name(name).value(value);
  }

  public Json field(String name, boolean value) {
    return name(name).value(value);
  }

  private void separate() {
    if (afterName) {
      afterName = false;
      return;
    }
    boolean[] container = open.peek();
    if (container != null) {
      if (container[0]) {
        out.append(',');
      }
      container[0] = true;
    }
  }

  private void quote(String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x2028 || c == 0x2029) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Characters written so far. */
  public int length() {
    return out.length();
  }

  @Override
  public String toString() {
    return out.toString();
  }
}
