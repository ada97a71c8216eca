package dev.breakwater.server.frontend;

import dev.breakwater.server.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The user name maps of {@code auth_ident_file}, in pg_ident.conf's form: {@code MAPNAME
 * SYSTEM-USERNAME PG-USERNAME} a line, {@code #} comments, double-quoted names. A system name
 * starting with {@code /} is a regular expression, whose first group a PG name may use as {@code
 * \1}; a PG name {@code all} (unquoted) allows every user. An hba line's {@code map=} option names
 * the map that a peer's OS user name or a client certificate's name goes through.
 */
public final class IdentMap {

  private record Entry(String map, String system, Pattern pattern, String pgUser, boolean all) {}

  private final List<Entry> entries;

  private IdentMap(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public static IdentMap load(Path file) throws ConfigException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new ConfigException(file, 0, "auth_ident_file", file.toString(), "cannot read: " + e.getMessage());
    }
    return parse(lines, file);
  }

  static IdentMap parse(List<String> lines, Path file) throws ConfigException {
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      List<String[]> words = words(lines.get(i));
      if (words.isEmpty()) {
        continue;
      }
      if (words.size() != 3) {
        throw new ConfigException(file, i + 1, null, null,
            "expected: MAPNAME SYSTEM-USERNAME PG-USERNAME");
      }
      String system = words.get(1)[0];
      boolean systemQuoted = words.get(1)[1] != null;
      Pattern pattern = null;
      if (!systemQuoted && system.startsWith("/")) {
        try {
          pattern = Pattern.compile(system.substring(1));
        } catch (PatternSyntaxException e) {
          throw new ConfigException(file, i + 1, null, null, "invalid regular expression: " + e.getDescription());
        }
      }
      String pg = words.get(2)[0];
      boolean all = words.get(2)[1] == null && pg.equals("all");
      entries.add(new Entry(words.get(0)[0], system, pattern, pg, all));
    }
    return new IdentMap(entries);
  }

  /** Whether {@code map} lets the system user {@code systemUser} log in as {@code pgUser}. */
  public boolean permits(String map, String systemUser, String pgUser) {
    for (Entry e : entries) {
      if (!e.map().equals(map)) {
        continue;
      }
      if (e.pattern() != null) {
        Matcher m = e.pattern().matcher(systemUser);
        if (!m.find()) {
          continue;
        }
        if (e.all()) {
          return true;
        }
        String wanted = e.pgUser();
        if (wanted.contains("\\1") && m.groupCount() >= 1 && m.group(1) != null) {
          wanted = wanted.replace("\\1", m.group(1));
        }
        if (wanted.equals(pgUser)) {
          return true;
        }
      } else if (e.system().equals(systemUser) && (e.all() || e.pgUser().equals(pgUser))) {
        return true;
      }
    }
    return false;
  }

  /** The words of a line: {text, "q" when it was quoted}, without the comment. */
  private static List<String[]> words(String line) {
    List<String[]> out = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (i < n) {
      char c = line.charAt(i);
      if (Character.isWhitespace(c)) {
        i++;
      } else if (c == '#') {
        break;
      } else if (c == '"') {
        StringBuilder b = new StringBuilder();
        i++;
        while (i < n) {
          char d = line.charAt(i);
          if (d == '"') {
            if (i + 1 < n && line.charAt(i + 1) == '"') {
              b.append('"');
              i += 2;
              continue;
            }
            i++;
            break;
          }
          b.append(d);
          i++;
        }
        out.add(new String[] {b.toString(), "q"});
      } else {
        int start = i;
        while (i < n && !Character.isWhitespace(line.charAt(i)) && line.charAt(i) != '#') {
          i++;
        }
        out.add(new String[] {line.substring(start, i), null});
      }
    }
    return out;
  }
}
