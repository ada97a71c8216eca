package dev.breakwater.server.config;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads PgBouncer's auth file ({@code userlist.txt}): one user per line, {@code "name" "secret"},
 * each field in double quotes with {@code ""} standing for a quote inside. Anything after the
 * secret is ignored (older files carry a third field). Blank lines and lines starting with {@code
 * ;} or {@code #} are skipped.
 *
 * <p>The secret is returned as written: a plain-text password, {@code md5...} or {@code
 * SCRAM-SHA-256$...}. Telling them apart is the authenticator's job. A later line for the same
 * user replaces an earlier one.
 */
public final class AuthFile {
  /** PgBouncer's limits (MAX_USERNAME, MAX_PASSWORD include the terminating NUL). */
  static final int MAX_USERNAME_BYTES = 127;

  static final int MAX_PASSWORD_BYTES = 2047;

  private AuthFile() {}

  /** Reads an auth file: user name to secret, in file order. */
  public static Map<String, String> load(Path file) throws ConfigException {
    return parse(IniReader.readText(file, null, 0, "auth file"), file);
  }

  /** Parses auth file text; messages name {@code file}. */
  public static Map<String, String> parse(String text, Path file) throws ConfigException {
    Map<String, String> users = new LinkedHashMap<>();
    String[] lines = IniReader.withoutBom(text).split("\n", -1);
    for (int n = 0; n < lines.length; n++) {
      String line = lines[n].strip();
      if (line.isEmpty() || line.startsWith(";") || line.startsWith("#")) {
        continue;
      }
      int lineNo = n + 1;
      if (line.charAt(0) != '"') {
        throw ConfigException.at(file, lineNo,
            "expected \"user\" \"secret\" with both in double quotes; the line does not start"
                + " with a double quote");
      }
      Field user = quoted(line, 0, file, lineNo, "user name");
      int next = user.end;
      while (next < line.length() && Character.isWhitespace(line.charAt(next))) {
        next++;
      }
      if (next >= line.length() || line.charAt(next) != '"') {
        throw ConfigException.at(file, lineNo,
            "expected the secret in double quotes after user \"" + user.text + "\"");
      }
      Field secret = quoted(line, next, file, lineNo, "secret");
      if (user.text.isEmpty()) {
        throw ConfigException.at(file, lineNo, "empty user name");
      }
      if (utf8Length(user.text) > MAX_USERNAME_BYTES) {
        throw ConfigException.at(file, lineNo,
            "user name longer than " + MAX_USERNAME_BYTES + " bytes");
      }
      if (utf8Length(secret.text) > MAX_PASSWORD_BYTES) {
        throw ConfigException.at(file, lineNo,
            "secret of user \"" + user.text + "\" longer than " + MAX_PASSWORD_BYTES + " bytes");
      }
      users.put(user.text, secret.text);
    }
    return Collections.unmodifiableMap(users);
  }

  private record Field(String text, int end) {}

  /** The double-quoted field starting at {@code start} (which holds the opening quote). */
  private static Field quoted(String line, int start, Path file, int lineNo, String what)
      throws ConfigException {
    StringBuilder sb = new StringBuilder();
    int i = start + 1;
    while (true) {
      if (i >= line.length()) {
        throw ConfigException.at(file, lineNo, what + " has no closing double quote");
      }
      char c = line.charAt(i);
      if (c == '"') {
        if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
          sb.append('"');
          i += 2;
          continue;
        }
        return new Field(sb.toString(), i + 1);
      }
      sb.append(c);
      i++;
    }
  }

  private static int utf8Length(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }
}
