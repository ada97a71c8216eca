package dev.breakwater.server;

import dev.breakwater.protocol.auth.Md5Password;
import dev.breakwater.protocol.auth.Secret;
import dev.breakwater.server.backend.Backend;
import dev.breakwater.server.config.AuthFile;
import dev.breakwater.server.config.AuthType;
import dev.breakwater.server.config.ConfigException;
import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.ConfigWarning;
import dev.breakwater.server.config.DatabaseEntry;
import dev.breakwater.server.config.General;
import dev.breakwater.server.config.SettingDefinition;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.frontend.Frontend;
import dev.breakwater.server.frontend.Hba;
import dev.breakwater.server.frontend.IdentMap;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import dev.breakwater.server.pool.PoolSettings;
import dev.breakwater.server.pool.Pools;
import dev.breakwater.server.tls.Tls;
import io.netty.channel.ChannelOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The configuration in force: the settings, and the secrets, TLS contexts, HBA rules and socket
 * options made from them and handed to the parts. RELOAD and SET replace it while clients stay
 * connected. Not locked: {@link Breakwater} calls {@link #reload} and {@link #set} under its lock.
 */
final class RunningConfig {

  /** Breakwater's logger: these are the server's own lines, and log settings name it. */
  private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

  private final Transport transport;
  private final Backend backend;
  private final Frontend frontend;
  private final Pools pools;
  private volatile Settings settings;
  private volatile Map<ChannelOption<?>, Object> tcpOptions;

  RunningConfig(Settings settings, Transport transport, Backend backend, Frontend frontend, Pools pools) {
    this.settings = settings;
    this.transport = transport;
    this.backend = backend;
    this.frontend = frontend;
    this.pools = pools;
    useTcpOptions(settings.general());
  }

  Settings settings() {
    return settings;
  }

  /** tcp_keepalive and the like, for the sockets of new clients. */
  Map<ChannelOption<?>, Object> tcpOptions() {
    return tcpOptions;
  }

  /** The auth_hba_file rules when auth_type is hba. */
  static Hba hba(Settings settings) throws ConfigException {
    General g = settings.general();
    if (g.authType() != AuthType.HBA) {
      return null;
    }
    if (g.authHbaFile() == null) {
      throw new ConfigException(settings.file(), 0, "auth_hba_file", null, "auth_type = hba needs auth_hba_file");
    }
    return Hba.load(g.authHbaFile());
  }

  /** The auth_ident_file maps, when auth_type is hba and the file is set. */
  static IdentMap identMap(Settings settings) throws ConfigException {
    General g = settings.general();
    if (g.authType() != AuthType.HBA || g.authIdentFile() == null) {
      return null;
    }
    return IdentMap.load(g.authIdentFile());
  }

  /** TLS contexts from the settings; a file that cannot be read is a configuration error. */
  static Tls tls(Settings settings) throws ConfigException {
    try {
      return Tls.from(settings.general());
    } catch (SSLException | IllegalArgumentException e) {
      throw new ConfigException(settings.file(), 0, null, null, "TLS: " + e.getMessage());
    }
  }

  /** The auth file's secrets, classified. */
  static Map<String, Secret> loadSecrets(Settings settings) throws ConfigException {
    Map<String, Secret> secrets = new HashMap<>();
    Path authFile = settings.general().authFile();
    if (authFile != null) {
      for (Map.Entry<String, String> e : AuthFile.load(authFile).entrySet()) {
        Secret secret = Secret.parse(e.getValue());
        secrets.put(e.getKey(), secret);
        AuthType type = settings.general().authType();
        boolean byPassword = type != AuthType.TRUST && type != AuthType.ANY;
        if (byPassword && (e.getValue().isEmpty()
            || (secret instanceof Secret.Md5 m
                && m.hash().equals(Md5Password.encrypt("", e.getKey()))))) {
          // A SCRAM secret of "" is found at login only: checking it here costs a PBKDF2 per user.
          log.warn("{}: user \"{}\" has an empty password, which logs no one in (PostgreSQL refuses empty passwords)",
              authFile, LogText.escape(e.getKey()));
        }
      }
    }
    return secrets;
  }

  /** RELOAD: the configuration file and auth file again; an invalid one is rejected whole. */
  void reload() throws ConfigException {
    Path file = settings.file();
    if (file == null) {
      throw new ConfigException(null, 0, null, null, "no configuration file to reload");
    }
    Settings next;
    Map<String, Secret> secrets;
    try {
      next = ConfigLoader.load(file);
      secrets = loadSecrets(next);
    } catch (ConfigException e) {
      log.error("RELOAD rejected, keeping the running configuration: {}", e.getMessage());
      throw e;
    }
    for (ConfigWarning w : next.warnings()) {
      log.warn("{}", w);
    }
    for (SettingDefinition d : ConfigLoader.definitions()) {
      if (!d.reloadable() && !Objects.equals(d.valueText(settings.general()), d.valueText(next.general()))) {
        log.warn("RELOAD: {} changed, which takes effect only after a restart", d.name());
      }
    }
    Tls tls = tls(next);
    Hba hba = hba(next);
    IdentMap identMap = identMap(next);
    apply(next, secrets);
    frontend.hba(hba);
    frontend.identMap(identMap);
    useTls(tls);
    Logging.verbosity(next.general().verbose());
    log.info("configuration reloaded from {}", file);
  }

  /** SET key = value; the result is a notice for the client, if any (see {@link Control#set}). */
  Optional<String> set(String key, String value) throws ConfigException {
    Settings s = settings;
    General g = s.general().withSetting(key, value);
    Settings next =
        new Settings(g, s.databases(), s.fallbackDatabase(), s.users(), s.warnings(), s.file(), s.peers());
    apply(next, null);
    log.info("SET {} = {}", key, value);
    String name = key.trim().toLowerCase(Locale.ROOT);
    if (name.equals("verbose")) {
      Logging.verbosity(g.verbose());
    }
    if (name.contains("_tls_") || name.contains("_tls13_") || name.equals("tls_provider")) {
      // PgBouncer's rule: the setting is taken; the TLS contexts follow when the settings as a
      // whole make a valid TLS configuration (a key set before its certificate does not yet).
      try {
        useTls(Tls.from(g));
      } catch (SSLException | IllegalArgumentException e) {
        log.warn("SET {}: TLS settings could not be applied, still using old configuration: {}", name, e.getMessage());
        return Optional.of("TLS settings could not be applied, still using old configuration");
      }
    }
    return Optional.empty();
  }

  /**
   * Puts new TLS contexts in place for new connections. When the settings toward PostgreSQL
   * changed, every pool replaces its servers as they are released, as PgBouncer does.
   */
  private void useTls(Tls next) {
    Tls before = backend.tls();
    frontend.tls(next);
    backend.tls(next);
    if (before != null && (before.asksServerTls() || next.asksServerTls())
        && !before.serverSide().equals(next.serverSide())) {
      log.info("server TLS settings changed: servers are replaced as they are released");
      for (Pool p : pools.all()) {
        p.reconnect();
      }
    }
  }

  /** tcp_keepalive and the like, for the sockets of new clients and new servers. */
  private void useTcpOptions(General g) {
    tcpOptions = Map.copyOf(transport.tcpOptions(g));
    backend.tcpOptions(tcpOptions);
  }

  /** Swaps in new settings: new logins see them, pools take them from their next assignment. */
  private void apply(Settings next, Map<String, Secret> secrets) {
    this.settings = next;
    Map<String, Secret> current = secrets != null ? Map.copyOf(secrets) : null;
    if (current != null) {
      backend.secrets(current::get);
      frontend.update(next, current);
    } else {
      frontend.update(next, null);
    }
    backend.maxPreparedStatements(next.general().maxPreparedStatements());
    useTcpOptions(next.general());
    for (Pool p : pools.all()) {
      Optional<DatabaseEntry> db = next.database(p.key().database());
      if (db.isEmpty()) {
        continue;
      }
      PoolSettings before = p.settings();
      PoolSettings after = PoolSettings.resolve(next, db.get(), p.key().user());
      p.updateSettings(after);
      boolean moved =
          !before.serverHost().equals(after.serverHost())
              || before.serverPort() != after.serverPort()
              || !before.serverDatabase().equals(after.serverDatabase())
              || !Objects.equals(before.serverPassword(), after.serverPassword());
      if (moved) {
        log.info("pool {}: the database moved; servers are replaced as they are released", p.key());
        p.reconnect();
      }
    }
    openMinPools(next);
  }

  /**
   * As PgBouncer: a database with a forced user= and a min_pool_size has its pool at once, so that
   * min_pool_size servers are open before any client comes. Other pools keep min_pool_size once a
   * client has made them.
   */
  void openMinPools(Settings s) {
    for (DatabaseEntry db : s.databases().values()) {
      if (!db.forcesUser()) {
        continue;
      }
      PoolSettings cfg = PoolSettings.resolve(s, db, db.user());
      if (cfg.minPoolSize() > 0) {
        pools.get(new PoolKey(db.name(), db.user()), () -> cfg);
      }
    }
  }
}
