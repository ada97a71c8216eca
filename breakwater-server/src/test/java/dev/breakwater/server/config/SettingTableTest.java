package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.config.SettingDefinition.Type;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The definitions table, defaults, SHOW CONFIG text, and SET. */
class SettingTableTest {

  @Test
  void defaultsEqualPgBouncers() {
    General g = General.defaults();
    assertThat(g.listenAddr()).isEmpty();
    assertThat(g.listensOnTcp()).isFalse();
    assertThat(g.listenPort()).isEqualTo(6432);
    assertThat(g.unixSocketDir()).isEqualTo("/tmp");
    assertThat(g.unixSocketMode()).isEqualTo(0777);
    assertThat(g.authType()).isEqualTo(AuthType.MD5);
    assertThat(g.authFile()).isNull();
    assertThat(g.authHbaFile()).isNull();
    assertThat(g.authUser()).isNull();
    assertThat(g.authQuery())
        .isEqualTo("SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword"
            + " END FROM pg_authid WHERE rolname=$1 AND rolcanlogin");
    assertThat(g.adminUsers()).isEmpty();
    assertThat(g.statsUsers()).isEmpty();
    assertThat(g.poolMode()).isEqualTo(PoolMode.SESSION);
    assertThat(g.maxClientConn()).isEqualTo(100);
    assertThat(g.defaultPoolSize()).isEqualTo(20);
    assertThat(g.minPoolSize()).isZero();
    assertThat(g.reservePoolSize()).isZero();
    assertThat(g.reservePoolTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(g.maxDbConnections()).isZero();
    assertThat(g.maxUserConnections()).isZero();
    assertThat(g.serverResetQuery()).isEqualTo("DISCARD ALL");
    assertThat(g.serverResetQueryAlways()).isFalse();
    assertThat(g.serverCheckQuery()).isEqualTo("<empty>");
    assertThat(g.serverCheckDelay()).isEqualTo(Duration.ofSeconds(30));
    assertThat(g.serverLifetime()).isEqualTo(Duration.ofSeconds(3600));
    assertThat(g.serverIdleTimeout()).isEqualTo(Duration.ofSeconds(600));
    assertThat(g.serverConnectTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(g.serverLoginRetry()).isEqualTo(Duration.ofSeconds(15));
    assertThat(g.queryTimeout()).isZero();
    assertThat(g.queryWaitTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(g.clientIdleTimeout()).isZero();
    assertThat(g.clientLoginTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(g.idleTransactionTimeout()).isZero();
    assertThat(g.transactionTimeout()).isZero();
    assertThat(g.cancelWaitTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(g.autodbIdleTimeout()).isEqualTo(Duration.ofSeconds(3600));
    assertThat(g.ignoreStartupParameters()).isEmpty();
    assertThat(g.trackExtraParameters()).containsExactly("IntervalStyle");
    assertThat(g.logfile()).isNull();
    assertThat(g.pidfile()).isNull();
    assertThat(g.maxPreparedStatements()).isEqualTo(200);
    assertThat(g.logConnections()).isTrue();
    assertThat(g.logDisconnections()).isTrue();
    assertThat(g.logPoolerErrors()).isTrue();
    assertThat(g.statsPeriod()).isEqualTo(Duration.ofSeconds(60));
    assertThat(g.applicationNameAddHost()).isFalse();
    assertThat(g.clientTlsSslmode()).isEqualTo(SslMode.DISABLE);
    assertThat(g.clientTlsProtocols()).isEqualTo("secure");
    assertThat(g.clientTlsCiphers()).isEqualTo("default");
    assertThat(g.serverTlsSslmode()).isEqualTo(SslMode.PREFER);
    assertThat(g.serverTlsCaFile()).isNull();
    assertThat(g.maxPacketSize()).isEqualTo(Integer.MAX_VALUE);
    assertThat(g.pktBuf()).isEqualTo(4096);
    assertThat(g.tcpKeepalive()).isTrue();
    assertThat(g.tcpKeepidle()).isZero();
    assertThat(g.scramIterations()).isEqualTo(4096);
    assertThat(g.httpListenAddr()).isNull();
    assertThat(g.httpListenPort()).isZero();
    assertThat(g.httpEnabled()).isFalse();
    assertThat(Settings.defaults().general()).isEqualTo(g);
    assertThat(Settings.defaults().databases()).isEmpty();
    assertThat(Settings.defaults().file()).isNull();
  }

  @Test
  void emptyPgbouncerSectionGivesTheDefaultsExceptConffile() throws Exception {
    Path ini = Path.of("/etc/pgbouncer/pgbouncer.ini");
    General loaded = ConfigLoader.load("[pgbouncer]\n", ini).general();
    Map<String, String> expected = new java.util.LinkedHashMap<>(General.defaults().asText());
    expected.put("conffile", ini.toString());
    assertThat(loaded.asText()).isEqualTo(expected);
  }

  @Test
  void theAdminDatabaseCannotBeTheAuthDbname() throws Exception {
    Path ini = Path.of("/etc/pgbouncer/pgbouncer.ini");
    assertThatThrownBy(() -> ConfigLoader.load("[pgbouncer]\nauth_dbname = pgbouncer\n", ini))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cannot use the reserved \"pgbouncer\" database as an auth_dbname");
    assertThatThrownBy(() -> General.defaults().withSetting("auth_dbname", "pgbouncer"))
        .isInstanceOf(ConfigException.class);
    assertThat(ConfigLoader.load("[pgbouncer]\nauth_dbname = authdb\n", ini).general().authDbname())
        .isEqualTo("authdb");
  }

  @Test
  void showConfigTextForDefaults() {
    Map<String, String> text = General.defaults().asText();
    assertThat(text.keySet())
        .containsExactlyElementsOf(
            ConfigLoader.definitions().stream().map(SettingDefinition::name).toList());
    assertThat(text)
        .containsEntry("listen_port", "6432")
        .containsEntry("pool_mode", "session")
        .containsEntry("auth_type", "md5")
        .containsEntry("query_wait_timeout", "120")
        .containsEntry("reserve_pool_timeout", "5")
        .containsEntry("log_connections", "1")
        .containsEntry("server_tls_sslmode", "prefer")
        .containsEntry("unix_socket_mode", "511")
        .containsEntry("track_extra_parameters", "IntervalStyle")
        .containsEntry("auth_file", "")
        .containsEntry("listen_addr", "");
    assertThat(text.values()).doesNotContainNull();
  }

  @Test
  void pgbouncerSettingsAreInShowConfigOrderWithBreakwatersLast() {
    List<String> names =
        ConfigLoader.definitions().stream().map(SettingDefinition::name).toList();
    List<String> pgbouncer = names.subList(0, names.size() - 13);
    assertThat(pgbouncer).isSorted();
    assertThat(names.subList(names.size() - 13, names.size()))
        .containsExactly("http_listen_addr", "http_listen_port", "http_serverless", "http_tls",
            "http_max_request_size", "http_max_response_size", "auth_cache_ttl", "session_pinning",
            "tls_provider", "log_format", "http_auth_token_file", "http_allowed_hosts", "worker_threads");
    assertThat(names).hasSize(111).doesNotHaveDuplicates();
  }

  @Test
  void actedOnListNamesRealSettings() {
    assertThat(SettingTable.ACTED_ON).allSatisfy(
        name -> assertThat(ConfigLoader.definition(name)).isPresent());
    assertThat(ConfigLoader.definition("listen_port").orElseThrow().actedOn()).isTrue();
    assertThat(ConfigLoader.definition("server_lifetime").orElseThrow().actedOn()).isTrue();
    assertThat(ConfigLoader.definition("peer_id").orElseThrow().actedOn()).isTrue();
    assertThat(ConfigLoader.definition("auth_ldap_options").orElseThrow().actedOn()).isFalse();
    assertThat(ConfigLoader.definition("LISTEN_PORT")).isPresent();
  }

  @Test
  void reloadFlagsFollowPgBouncer() {
    List<String> fixed = ConfigLoader.definitions().stream()
        .filter(d -> !d.reloadable()).map(SettingDefinition::name).toList();
    assertThat(fixed).containsExactly(
        "disable_pqexec", "job_name", "listen_addr", "listen_backlog", "listen_port", "pidfile",
        "pkt_buf", "resolv_conf", "so_reuseport", "track_extra_parameters", "unix_socket_dir",
        "unix_socket_group", "unix_socket_mode", "user", "http_listen_addr", "http_listen_port", "http_tls",
        "log_format", "worker_threads");
  }

  /**
   * Sets each setting alone to a non-default value and checks that exactly that setting changed:
   * this catches a table entry whose getter reads another record component.
   */
  @Test
  void everySettingRoundTripsThroughItsOwnComponent() throws Exception {
    Map<String, String> defaults = General.defaults().asText();
    List<String> problems = new ArrayList<>();
    for (SettingDefinition def : ConfigLoader.definitions()) {
      String sample = sample(def);
      General g =
          ConfigLoader.load("[pgbouncer]\n" + def.name() + " = " + sample + "\n",
                  Path.of("/cfg/pgbouncer.ini"))
              .general();
      Map<String, String> text = g.asText();
      if (!text.get(def.name()).equals(sample)) {
        problems.add(def.name() + " shows \"" + text.get(def.name()) + "\", set \"" + sample
            + "\"");
      }
      for (Map.Entry<String, String> e : text.entrySet()) {
        String name = e.getKey();
        if (!name.equals(def.name()) && !name.equals("conffile")
            && !e.getValue().equals(defaults.get(name))) {
          problems.add("setting " + def.name() + " also changed " + name);
        }
      }
    }
    assertThat(problems).isEmpty();
  }

  /** Whether {@code def} takes {@code text} (a setting with a minimum may refuse 7). */
  private static boolean accepts(SettingDefinition def, String text) {
    try {
      def.parse(text, Path.of("/cfg"));
      return true;
    } catch (ValueParsers.BadValue e) {
      return false;
    }
  }

  /** A readable token file, for http_auth_token_file (read when the configuration is loaded). */
  private static final Path TOKEN_FILE = tokenFile();

  private static Path tokenFile() {
    try {
      Path f = java.nio.file.Files.createTempFile("bw-token-", ".txt");
      f.toFile().deleteOnExit();
      java.nio.file.Files.writeString(f, "sample-token-0123456789\n");
      return f;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static String sample(SettingDefinition def) {
    String current = def.defaultText();
    return switch (def.type()) {
      case STRING -> def.name().equals("log_format") ? "json" : "some text";
      case PATH -> def.name().equals("http_auth_token_file") ? TOKEN_FILE.toString() : "/x/sample";
      case LIST -> "a,b";
      case INT -> current.equals("7") ? "8" : accepts(def, "7") ? "7" : "7777";
      case BOOL -> current.equals("1") ? "0" : "1";
      case SECONDS -> "1.5";
      case WHOLE_SECONDS -> "7";
      case ENUM -> switch (def.name()) {
        case "auth_type" -> "scram-sha-256";
        case "pool_mode" -> "transaction";
        case "tls_provider" -> "jdk";
        default -> "verify-full";
      };
    };
  }

  @Test
  void everyTypeIsUsed() {
    assertThat(ConfigLoader.definitions().stream().map(SettingDefinition::type).distinct())
        .containsExactlyInAnyOrder(Type.values());
  }

  @Test
  void withSettingChangesOneValue() throws Exception {
    General g = General.defaults().withSetting("Query_Wait_Timeout", " 30 ");
    assertThat(g.queryWaitTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(General.defaults().queryWaitTimeout()).isEqualTo(Duration.ofSeconds(120));
    assertThat(g.withSetting("pool_mode", "transaction").poolMode())
        .isEqualTo(PoolMode.TRANSACTION);
  }

  @Test
  void withSettingRefusesUnknownFixedAndInvalid() {
    assertThatThrownBy(() -> General.defaults().withSetting("nope", "1"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("<config>: unknown setting \"nope\"");
    assertThatThrownBy(() -> General.defaults().withSetting("listen_port", "1"))
        .hasMessage("<config>: listen_port: cannot be changed while running; restart instead");
    assertThatThrownBy(() -> General.defaults().withSetting("pool_mode", "x"))
        .hasMessage("<config>: pool_mode: invalid value \"x\""
            + " (allowed: session, transaction, statement)");
  }

  @Test
  void valueOfUnknownSetting() {
    assertThatThrownBy(() -> General.defaults().valueOf("nope"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(General.defaults().valueOf("LISTEN_PORT")).isEqualTo("6432");
  }

  @Test
  void generalIsImmutable() throws Exception {
    General g = ConfigLoader.load("[pgbouncer]\nadmin_users = a\nlisten_addr = *\n",
        Path.of("p.ini")).general();
    assertThatThrownBy(() -> g.adminUsers().add("b"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> g.listenAddr().add("b"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> g.asText().put("x", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void enumsParseIgnoringCaseAndPrintConfigNames() {
    assertThat(PoolMode.parse("TRANSACTION")).isEqualTo(PoolMode.TRANSACTION);
    assertThat(PoolMode.STATEMENT.configName()).isEqualTo("statement");
    assertThat(AuthType.parse("SCRAM-SHA-256")).isEqualTo(AuthType.SCRAM_SHA_256);
    assertThat(AuthType.SCRAM_SHA_256.configName()).isEqualTo("scram-sha-256");
    assertThat(AuthType.ANY.usesAuthFile()).isFalse();
    assertThat(AuthType.PAM.usesAuthFile()).isFalse();
    assertThat(AuthType.TRUST.usesAuthFile()).isTrue();
    assertThat(SslMode.parse("Verify-CA")).isEqualTo(SslMode.VERIFY_CA);
    assertThatThrownBy(() -> PoolMode.parse("sessoin"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("invalid pool mode \"sessoin\" (allowed: session, transaction, statement)");
  }
}
