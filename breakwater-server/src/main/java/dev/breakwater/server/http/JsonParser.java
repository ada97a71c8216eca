package dev.breakwater.server.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader for the bodies of {@code POST /sql}: objects become {@link Map}s (in order),
 * arrays {@link List}s, strings {@link String}s, numbers {@link Number}s kept as their text ({@link
 * JsonNumber}, so that a parameter is passed to PostgreSQL exactly as written), true/false {@link
 * Boolean}s and null null. Nesting is limited so that a hostile body cannot exhaust the stack.
 */
final class JsonParser {

  /** A number as written in the document. */
  record JsonNumber(String text) {
    @Override
    public String toString() {
      return text;
    }
  }

  /** A malformed document. */
  static final class JsonException extends RuntimeException {
    JsonException(String message) {
      super(message);
    }
  }

  private static final int MAX_DEPTH = 64;

  private final String s;
  private int i;

  private JsonParser(String s) {
    this.s = s;
  }

  static Object parse(String text) {
    JsonParser p = new JsonParser(text);
    p.space();
    Object v = p.value(0);
    p.space();
    if (p.i != p.s.length()) {
      throw new JsonException("unexpected text after the JSON value at offset " + p.i);
    }
    return v;
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw new JsonException("JSON nested too deeply");
    }
    if (i >= s.length()) {
      throw new JsonException("unexpected end of JSON");
    }
    char c = s.charAt(i);
    switch (c) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return string();
      case 't':
        word("true");
        return Boolean.TRUE;
      case 'f':
        word("false");
        return Boolean.FALSE;
      case 'n':
        word("null");
        return null;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw new JsonException("unexpected character '" + c + "' at offset " + i);
    }
  }

  private Map<String, Object> object(int depth) {
    Map<String, Object> m = new LinkedHashMap<>();
    i++;
    space();
    if (peek() == '}') {
      i++;
      return m;
    }
    while (true) {
      space();
      if (peek() != '"') {
        throw new JsonException("expected a member name at offset " + i);
      }
      String name = string();
      space();
      expect(':');
      space();
      m.put(name, value(depth + 1));
      space();
      char c = next();
      if (c == '}') {
        return m;
      }
      if (c != ',') {
        throw new JsonException("expected ',' or '}' at offset " + (i - 1));
      }
    }
  }

  private List<Object> array(int depth) {
    List<Object> l = new ArrayList<>();
    i++;
    space();
    if (peek() == ']') {
      i++;
      return l;
    }
    while (true) {
      space();
      l.add(value(depth + 1));
      space();
      char c = next();
      if (c == ']') {
        return l;
      }
      if (c != ',') {
        throw new JsonException("expected ',' or ']' at offset " + (i - 1));
      }
    }
  }

  private String string() {
    i++;
    StringBuilder b = new StringBuilder();
    while (true) {
      if (i >= s.length()) {
        throw new JsonException("unterminated string");
      }
      char c = s.charAt(i++);
      if (c == '"') {
        return b.toString();
      }
      if (c == '\\') {
        char e = next();
        switch (e) {
          case '"', '\\', '/' -> b.append(e);
          case 'b' -> b.append('\b');
          case 'f' -> b.append('\f');
          case 'n' -> b.append('\n');
          case 'r' -> b.append('\r');
          case 't' -> b.append('\t');
          case 'u' -> {
            if (i + 4 > s.length()) {
              throw new JsonException("bad \\u escape");
            }
            try {
              b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            } catch (NumberFormatException ex) {
              throw new JsonException("bad \\u escape");
            }
            i += 4;
          }
          default -> throw new JsonException("bad escape \\" + e);
        }
      } else if (c < 0x20) {
        throw new JsonException("control character in string");
      } else {
        b.append(c);
      }
    }
  }

  private JsonNumber number() {
    int start = i;
    if (peek() == '-') {
      i++;
    }
    while (i < s.length() && "0123456789+-.eE".indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    String t = s.substring(start, i);
    try {
      Double.parseDouble(t);
    } catch (NumberFormatException e) {
      throw new JsonException("bad number " + t);
    }
    return new JsonNumber(t);
  }

  private void word(String w) {
    if (!s.startsWith(w, i)) {
      throw new JsonException("unexpected text at offset " + i);
    }
    i += w.length();
  }

  private void expect(char c) {
    if (next() != c) {
      throw new JsonException("expected '" + c + "' at offset " + (i - 1));
    }
  }

  private char peek() {
    if (i >= s.length()) {
      throw new JsonException("unexpected end of JSON");
    }
    return s.charAt(i);
  }

  private char next() {
    char c = peek();
    i++;
    return c;
  }

  private void space() {
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
        return;
      }
      i++;
    }
  }
}
