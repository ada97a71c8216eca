package dev.breakwater.server.config;

import dev.breakwater.server.config.EntryParameters.DatabaseBuilder;
import dev.breakwater.server.config.EntryParameters.Param;
import dev.breakwater.server.config.EntryParameters.PeerBuilder;
import dev.breakwater.server.config.EntryParameters.UserBuilder;
import dev.breakwater.server.config.ValueParsers.BadValue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Loads {@code pgbouncer.ini} into an immutable {@link Settings}: the {@code [pgbouncer]},
 * {@code [databases]}, {@code [users]} and {@code [peers]} sections, with {@code %include}.
 *
 * <p>What it does as PgBouncer does: comments only at the start of a line; values trimmed; integers
 * as C's {@code strtol} reads them ({@code 0777} is octal); times in seconds, fractions allowed,
 * no units; enum values in any case; a {@code [pgbouncer]} section is required. Where it differs:
 * setting names and section names are matched ignoring case; an unknown {@code [pgbouncer]}
 * setting or unknown section is a {@link ConfigWarning} rather than a failed load; relative paths
 * ({@code %include}, {@code auth_file}, ...) are taken relative to the file that names them rather
 * than to the working directory. Invalid values, unknown keys inside a database, user or peer line,
 * and syntax errors throw {@link ConfigException}.
 *
 * <p>The loader does no logging and touches no file other than those it reads.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /** Reads and parses a config file. */
  public static Settings load(Path iniFile) throws ConfigException {
    Overlay o = overlay;
    Loader loader = new Loader(iniFile);
    IniReader.read(iniFile, IniReader.readText(iniFile, null, 0, "config file"), loader);
    if (o.settingsFile() != null) {
      IniReader.read(o.settingsFile(), IniReader.readText(o.settingsFile(), null, 0, "settings file"), loader);
    }
    Path fromEnvironment = Path.of("(environment)");
    for (SettingDefinition d : SettingTable.BREAKWATER_OWN) {
      String v = o.environment().get(environmentName(d.name()));
      if (v != null) {
        loader.section(fromEnvironment, 0, "pgbouncer");
        loader.entry(fromEnvironment, 0, d.name(), v);
      }
    }
    return loader.finish();
  }

  /**
   * Where Breakwater's own settings may come from besides pgbouncer.ini, so that the file stays
   * one PgBouncer reads (a rollback is then still "change the binary"): an ini file read after it
   * ({@code --settings}, any setting), and environment variables {@code BREAKWATER_<NAME>} for
   * Breakwater's own settings ({@code BREAKWATER_HTTP_LISTEN_PORT=8080}), applied last.
   */
  public record Overlay(Path settingsFile, Map<String, String> environment) {
    public Overlay {
      environment = Map.copyOf(environment);
    }

    static final Overlay NONE = new Overlay(null, Map.of());
  }

  private static volatile Overlay overlay = Overlay.NONE;

  /** Set once at start (Main): every load, RELOAD's too, applies it. */
  public static void overlay(Overlay next) {
    overlay = next == null ? Overlay.NONE : next;
  }

  /** {@code http_listen_port} is read from {@code BREAKWATER_HTTP_LISTEN_PORT}. */
  public static String environmentName(String setting) {
    return "BREAKWATER_" + setting.toUpperCase(Locale.ROOT);
  }

  /**
   * Parses config text as if it had been read from {@code pretendFile}: messages name that file,
   * and relative {@code %include} and path settings are resolved against its directory.
   */
  public static Settings load(String text, Path pretendFile) throws ConfigException {
    Loader loader = new Loader(pretendFile);
    IniReader.read(pretendFile, text, loader);
    return loader.finish();
  }

  /** The {@code [pgbouncer]} settings in SHOW CONFIG order (Breakwater's own last). */
  public static List<SettingDefinition> definitions() {
    return SettingTable.ALL;
  }

  /** One {@code [pgbouncer]} setting by name, ignoring case. */
  public static Optional<SettingDefinition> definition(String name) {
    return Optional.ofNullable(SettingTable.BY_NAME.get(name.toLowerCase(Locale.ROOT)));
  }

  /** The keys a {@code [databases]} line may use. */
  public static List<ParameterDefinition> databaseParameters() {
    return EntryParameters.definitions(EntryParameters.DATABASE);
  }

  /** The keys a {@code [users]} line may use. */
  public static List<ParameterDefinition> userParameters() {
    return EntryParameters.definitions(EntryParameters.USER);
  }

  /** The keys a {@code [peers]} line may use. */
  public static List<ParameterDefinition> peerParameters() {
    return EntryParameters.definitions(EntryParameters.PEER);
  }

  private enum Section {
    PGBOUNCER("pgbouncer"),
    DATABASES("databases"),
    USERS("users"),
    PEERS("peers"),
    /** A section we do not know; its lines are skipped (one warning at the header). */
    UNKNOWN(null);

    final String configName;

    Section(String configName) {
      this.configName = configName;
    }

    static Section of(String name) {
      String lower = name.toLowerCase(Locale.ROOT);
      for (Section s : values()) {
        if (lower.equals(s.configName)) {
          return s;
        }
      }
      return UNKNOWN;
    }
  }

  /** Where a setting was last set, for warnings about it. */
  private record Origin(Path file, int line) {}

  /** Collects one file's worth of sections and entries. */
  private static final class Loader implements IniReader.Handler {
    private final Path mainFile;
    private final Map<String, Object> values = General.defaultValues();
    private final Map<String, Origin> origins = new HashMap<>();
    /** Where each [databases] entry (the {@code *} fallback too) was last given. */
    private final Map<String, Origin> databaseOrigins = new HashMap<>();
    private final Map<String, DatabaseEntry> databases = new LinkedHashMap<>();
    private final Map<String, UserEntry> users = new LinkedHashMap<>();
    private final Map<Integer, PeerEntry> peers = new LinkedHashMap<>();
    private final List<ConfigWarning> warnings = new ArrayList<>();
    private DatabaseEntry fallback;
    private Section section;
    private boolean sawMainSection;

    Loader(Path mainFile) {
      this.mainFile = mainFile;
      values.put("conffile", mainFile == null ? null : mainFile.toAbsolutePath().normalize());
    }

    @Override
    public void section(Path file, int line, String name) {
      section = Section.of(name);
      if (section == Section.PGBOUNCER) {
        sawMainSection = true;
      } else if (section == Section.UNKNOWN) {
        warnings.add(new ConfigWarning(file, line,
            "unknown section [" + name + "] ignored, with its settings (known: [pgbouncer],"
                + " [databases], [users], [peers])"));
      }
    }

    @Override
    public void entry(Path file, int line, String key, String value) throws ConfigException {
      if (section == null) {
        throw ConfigException.at(file, line,
            "\"" + key + "\" comes before any section; put it under [pgbouncer], [databases],"
                + " [users] or [peers]");
      }
      switch (section) {
        case PGBOUNCER -> setting(file, line, key, value);
        case DATABASES -> database(file, line, key, value);
        case USERS -> user(file, line, key, value);
        case PEERS -> peer(file, line, key, value);
        case UNKNOWN -> { }
      }
    }

    private void setting(Path file, int line, String key, String value) throws ConfigException {
      String name = key.toLowerCase(Locale.ROOT);
      SettingDefinition def = SettingTable.BY_NAME.get(name);
      if (def == null) {
        warnings.add(new ConfigWarning(file, line,
            "unknown setting \"" + key + "\" ignored" + suggestion(name)));
        return;
      }
      try {
        values.put(name, def.parse(value, baseDir(file)));
      } catch (BadValue e) {
        throw ConfigException.invalidValue(file, line, "", name, value, e.allowed);
      }
      origins.put(name, new Origin(file, line));
    }

    private void database(Path file, int line, String name, String value)
        throws ConfigException {
      if (Settings.ADMIN_DATABASE.equals(name)) {
        throw new ConfigException(file, line, name, value,
            "database name \"" + name + "\" is reserved for the admin console");
      }
      DatabaseBuilder b = new DatabaseBuilder(name);
      fill(file, line, "database \"" + name + "\": ", value, EntryParameters.DATABASE, b);
      DatabaseEntry entry = b.build();
      databaseOrigins.put(name, new Origin(file, line));
      if (entry.isFallback()) {
        fallback = entry;
      } else {
        databases.put(name, entry);
      }
    }

    private void user(Path file, int line, String name, String value) throws ConfigException {
      UserBuilder b = new UserBuilder(name);
      fill(file, line, "user \"" + name + "\": ", value, EntryParameters.USER, b);
      users.put(name, b.build());
    }

    private void peer(Path file, int line, String key, String value) throws ConfigException {
      int id;
      try {
        id = ValueParsers.integer(key, 1, 16383);
      } catch (BadValue e) {
        throw new ConfigException(file, line, key, value,
            "[peers]: invalid peer id \"" + key + "\" (allowed: an integer from 1 to 16383)");
      }
      PeerBuilder b = new PeerBuilder(id);
      String context = "peer " + id + ": ";
      fill(file, line, context, value, EntryParameters.PEER, b);
      if (b.host == null) {
        throw new ConfigException(file, line, "host", null, context + "host is required");
      }
      peers.put(id, b.build());
    }

    private static <B> void fill(
        Path file, int line, String context, String connstr, Map<String, Param<B>> table,
        B builder) throws ConfigException {
      List<ConnectionString.Pair> pairs;
      try {
        pairs = ConnectionString.parse(connstr);
      } catch (ConnectionString.SyntaxError e) {
        throw new ConfigException(file, line, e.key, connstr,
            context + "syntax error in connection string: " + e.getMessage());
      }
      for (ConnectionString.Pair pair : pairs) {
        Param<B> param = table.get(pair.key());
        if (param == null) {
          throw new ConfigException(file, line, pair.key(), pair.value(),
              context + "unknown parameter \"" + pair.key() + "\" (allowed: "
                  + String.join(", ", table.keySet()) + ")");
        }
        try {
          param.setter().accept(builder, pair.value());
        } catch (BadValue e) {
          throw ConfigException.invalidValue(
              file, line, context, pair.key(), pair.value(), e.allowed);
        }
      }
    }

    Settings finish() throws ConfigException {
      if (!sawMainSection) {
        throw ConfigException.at(mainFile, 0,
            "no [pgbouncer] section; PgBouncer requires one, even if empty");
      }
      General general = General.fromValues(values);
      crossChecks(general);
      return new Settings(general, databases, fallback, users, warnings, mainFile, peers);
    }

    /** Combinations that load but cannot work; PgBouncer accepts them silently. */
    private void crossChecks(General g) {
      Origin authType = origins.getOrDefault("auth_type", new Origin(mainFile, 0));
      if (g.authType().usesAuthFile() && g.authFile() == null && g.authUser() == null) {
        warnings.add(new ConfigWarning(authType.file(), authType.line(),
            "auth_type " + g.authType().configName()
                + " needs users, but neither auth_file nor auth_user is set: no one can log in"));
      }
      if (g.authType() == AuthType.HBA && g.authHbaFile() == null) {
        warnings.add(new ConfigWarning(authType.file(), authType.line(),
            "auth_type hba, but auth_hba_file is not set"));
      }
      if (g.authType() == AuthType.ANY) {
        List<DatabaseEntry> entries = new ArrayList<>(databases.values());
        if (fallback != null) {
          entries.add(fallback);
        }
        for (DatabaseEntry db : entries) {
          if (!db.forcesUser()) {
            // Its clients are refused at login, as PgBouncer refuses them.
            Origin at = databaseOrigins.getOrDefault(db.name(), authType);
            warnings.add(new ConfigWarning(at.file(), at.line(),
                "auth_type any ignores the client's user name, so database \"" + db.name()
                    + "\" needs user= to say who to log in as; until it has one, its clients are"
                    + " refused (auth_type=any requires forced user)"));
          }
        }
      }
    }

    private static Path baseDir(Path file) {
      return file == null ? null : file.toAbsolutePath().normalize().getParent();
    }
  }

  /** {@code (did you mean "max_client_conn"?)} for a near miss, else "". */
  static String suggestion(String unknown) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String known : SettingTable.BY_NAME.keySet()) {
      int d = distance(unknown, known);
      if (d < bestDistance) {
        bestDistance = d;
        best = known;
      }
    }
    return best != null && bestDistance <= 2 ? " (did you mean \"" + best + "\"?)" : "";
  }

  /** Levenshtein distance; names are short. */
  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
