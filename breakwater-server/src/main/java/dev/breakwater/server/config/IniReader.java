package dev.breakwater.server.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Reads PgBouncer's ini syntax line by line and hands sections and {@code key = value} lines to a
 * {@link Handler}, following {@code %include} directives.
 *
 * <p>The rules, as in PgBouncer: a line starting with {@code ;} or {@code #} is a comment, but
 * those characters later in a line are part of the value; {@code [name]} starts a section; a key is
 * letters, digits and {@code _.-*}, or is quoted ({@code 'my db'} or {@code "my db"}); the value is
 * the rest of the line, trimmed. {@code %include file} reads another file in place; unlike
 * PgBouncer (which uses the working directory) a relative name is taken relative to the including
 * file. Includes nest at most {@value #MAX_INCLUDE_DEPTH} deep and may not form a cycle.
 */
final class IniReader {
  static final int MAX_INCLUDE_DEPTH = 10;

  /** Receives what the reader finds. */
  interface Handler {
    void section(Path file, int line, String name) throws ConfigException;

    void entry(Path file, int line, String key, String value) throws ConfigException;
  }

  private final Handler handler;
  /** Files being read, outermost first: for cycle detection and the error message. */
  private final Deque<Path> stack = new ArrayDeque<>();
  private final List<Path> shownStack = new ArrayList<>();

  private IniReader(Handler handler) {
    this.handler = handler;
  }

  /** Reads {@code text} as the contents of {@code file}. */
  static void read(Path file, String text, Handler handler) throws ConfigException {
    new IniReader(handler).readFile(file, text);
  }

  /** Reads a file as UTF-8; errors name the file (and the line that asked for it, if any). */
  static String readText(Path file, Path fromFile, int fromLine, String what)
      throws ConfigException {
    try {
      byte[] bytes = Files.readAllBytes(file);
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (NoSuchFileException e) {
      throw failure(file, fromFile, fromLine, what, "no such file", e);
    } catch (CharacterCodingException e) {
      throw failure(file, fromFile, fromLine, what, "not valid UTF-8", e);
    } catch (IOException e) {
      throw failure(file, fromFile, fromLine, what, e.toString(), e);
    }
  }

  private static ConfigException failure(
      Path file, Path fromFile, int fromLine, String what, String reason, Exception cause) {
    Path at = fromFile != null ? fromFile : file;
    String detail = "cannot read " + what + " " + file.toAbsolutePath().normalize() + ": " + reason;
    return new ConfigException(at, fromFile != null ? fromLine : 0, null, null, detail, cause);
  }

  private void readFile(Path file, String text) throws ConfigException {
    stack.push(identity(file));
    shownStack.add(file);
    String[] lines = withoutBom(text).split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      readLine(file, i + 1, lines[i]);
    }
    stack.pop();
    shownStack.remove(shownStack.size() - 1);
  }

  private void readLine(Path file, int lineNo, String raw) throws ConfigException {
    String line = raw.strip();
    if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
      return;
    }
    if (line.startsWith("%include")
        && (line.length() == 8 || line.charAt(8) == ' ' || line.charAt(8) == '\t')) {
      include(file, lineNo, line.substring(8).strip());
      return;
    }
    if (line.startsWith("[")) {
      int close = line.indexOf(']');
      if (close < 0) {
        throw ConfigException.at(file, lineNo, "syntax error: section name has no closing ']'");
      }
      String after = line.substring(close + 1).strip();
      if (!after.isEmpty() && !after.startsWith("#") && !after.startsWith(";")) {
        throw ConfigException.at(
            file, lineNo, "syntax error: unexpected \"" + after + "\" after section name");
      }
      handler.section(file, lineNo, line.substring(1, close).strip());
      return;
    }
    int i;
    String key;
    char first = line.charAt(0);
    if (first == '\'' || first == '"') {
      StringBuilder sb = new StringBuilder();
      i = 1;
      while (true) {
        if (i >= line.length()) {
          throw ConfigException.at(
              file, lineNo, "syntax error: quoted name has no closing " + first);
        }
        char c = line.charAt(i);
        if (c == first) {
          // "" inside a double-quoted name is one quote, as in SQL identifiers
          if (first == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
            sb.append('"');
            i += 2;
            continue;
          }
          i++;
          break;
        }
        sb.append(c);
        i++;
      }
      key = sb.toString();
      if (key.isEmpty()) {
        throw ConfigException.at(file, lineNo, "syntax error: empty quoted name");
      }
    } else {
      i = 0;
      while (i < line.length() && isKeyChar(line.charAt(i))) {
        i++;
      }
      key = line.substring(0, i);
    }
    while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
      i++;
    }
    if (i >= line.length() || line.charAt(i) != '=') {
      String shown = line.length() > 40 ? line.substring(0, 40) + "..." : line;
      String expected =
          key.isEmpty()
              ? "expected a name (letters, digits, _ . - *; quote other names)"
              : "expected \"=\" after \"" + key + "\"";
      throw ConfigException.at(file, lineNo, "syntax error: " + expected + " in \"" + shown + "\"");
    }
    if (key.isEmpty()) {
      throw ConfigException.at(file, lineNo, "syntax error: missing name before \"=\"");
    }
    handler.entry(file, lineNo, key, line.substring(i + 1).strip());
  }

  /** Editors on some systems start UTF-8 files with a byte order mark; it is not content. */
  static String withoutBom(String text) {
    return text.startsWith("\uFEFF") ? text.substring(1) : text;
  }

  private static boolean isKeyChar(char c) {
    return Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '*';
  }

  private void include(Path file, int lineNo, String name) throws ConfigException {
    if (name.isEmpty()) {
      throw ConfigException.at(file, lineNo, "%include needs a file name");
    }
    Path target;
    try {
      Path named = Path.of(name);
      target = (named.isAbsolute() ? named : file.resolveSibling(named)).normalize();
    } catch (java.nio.file.InvalidPathException e) {
      throw ConfigException.at(file, lineNo, "%include: invalid file name \"" + name + "\"");
    }
    if (stack.contains(identity(target))) {
      StringBuilder chain = new StringBuilder();
      for (Path p : shownStack) {
        chain.append(p).append(" -> ");
      }
      chain.append(target);
      throw ConfigException.at(file, lineNo, "%include cycle: " + chain);
    }
    if (stack.size() >= MAX_INCLUDE_DEPTH + 1) {
      throw ConfigException.at(
          file, lineNo,
          "%include nested too deeply (more than " + MAX_INCLUDE_DEPTH + " levels) at " + target);
    }
    String text = readText(target, file, lineNo, "included file");
    readFile(target, text);
  }

  /** The same file seen through different relative names or symlinks is one file. */
  private static Path identity(Path file) {
    Path absolute = file.toAbsolutePath().normalize();
    try {
      return absolute.toRealPath();
    } catch (IOException e) {
      return absolute;
    }
  }
}
