package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The ini syntax, the [pgbouncer] section, warnings and error messages. */
class ConfigLoaderTest {
  static final Path INI = Path.of("pgbouncer.ini");

  static Settings load(String text) throws ConfigException {
    return ConfigLoader.load(text, INI);
  }

  static ConfigException failure(String text) {
    try {
      load(text);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected a ConfigException for:\n" + text);
  }

  @Test
  void readsEverySection() throws Exception {
    Settings s =
        load(
            """
            [databases]
            app = host=db1 port=5433 dbname=app_prod
            [users]
            report = pool_mode=session
            [peers]
            2 = host=10.0.0.2
            [pgbouncer]
            listen_port = 7432
            auth_file = userlist.txt
            """);
    assertThat(s.general().listenPort()).isEqualTo(7432);
    assertThat(s.databases()).containsOnlyKeys("app");
    assertThat(s.databases().get("app").host()).isEqualTo("db1");
    assertThat(s.users().get("report").poolMode()).isEqualTo(PoolMode.SESSION);
    assertThat(s.peers().get(2)).isEqualTo(new PeerEntry(2, "10.0.0.2", 6432, null));
    assertThat(s.file()).isEqualTo(INI);
    assertThat(s.warnings()).isEmpty();
  }

  @Test
  void commentsOnlyAtLineStartAndValuesTrimmed() throws Exception {
    Settings s =
        load(
            """
            ; a comment
            # another
               [pgbouncer]   ; comment after a section header is fine
              pool_mode   =   transaction\t\r
            	admin_users=alice , bob,,carol
            """);
    assertThat(s.general().poolMode()).isEqualTo(PoolMode.TRANSACTION);
    assertThat(s.general().adminUsers()).containsExactly("alice", "bob", "carol");
  }

  @Test
  void settingNamesAndSectionsIgnoreCaseButDatabaseNamesDoNot() throws Exception {
    Settings s =
        load(
            """
            [PgBouncer]
            Max_Client_Conn = 500
            POOL_MODE = Statement
            [DATABASES]
            MyDb = host=x
            """);
    assertThat(s.general().maxClientConn()).isEqualTo(500);
    assertThat(s.general().poolMode()).isEqualTo(PoolMode.STATEMENT);
    assertThat(s.databases()).containsOnlyKeys("MyDb");
    assertThat(s.database("mydb").isPresent()).isFalse();
  }

  @Test
  void byteOrderMarkIsIgnored() throws Exception {
    assertThat(load("\uFEFF[pgbouncer]\nlisten_port = 1\n").general().listenPort()).isEqualTo(1);
    assertThat(AuthFile.parse("\uFEFF\"a\" \"b\"\n", INI)).containsEntry("a", "b");
  }

  @Test
  void laterValueWins() throws Exception {
    Settings s = load("[pgbouncer]\nmax_client_conn = 10\nmax_client_conn = 20\n");
    assertThat(s.general().maxClientConn()).isEqualTo(20);
  }

  @Test
  void unknownSettingIsAWarningWithFileAndLine() throws Exception {
    Settings s = load("[pgbouncer]\nauth_file = u\nfoo = 1\nmax_client_con = 5\n");
    assertThat(s.warnings()).extracting(ConfigWarning::toString)
        .containsExactly(
            "pgbouncer.ini:3: unknown setting \"foo\" ignored",
            "pgbouncer.ini:4: unknown setting \"max_client_con\" ignored"
                + " (did you mean \"max_client_conn\"?)");
    assertThat(s.warnings().get(0).file()).isEqualTo(INI);
    assertThat(s.warnings().get(0).line()).isEqualTo(3);
    assertThat(s.general().maxClientConn()).isEqualTo(100);
  }

  @Test
  void unknownSectionIsAWarningAndItsLinesAreSkipped() throws Exception {
    Settings s =
        load("[pgbouncer]\n[extras]\nwhatever = 1\nlisten_port = 1\n[pgbouncer]\nauth_file = u\n");
    assertThat(s.warnings()).extracting(ConfigWarning::toString)
        .containsExactly(
            "pgbouncer.ini:2: unknown section [extras] ignored, with its settings"
                + " (known: [pgbouncer], [databases], [users], [peers])");
    assertThat(s.general().listenPort()).isEqualTo(6432);
  }

  @Test
  void pgbouncerSectionIsRequired() {
    assertThat(failure("[databases]\na = host=x\n").getMessage())
        .isEqualTo("pgbouncer.ini: no [pgbouncer] section; PgBouncer requires one, even if empty");
  }

  @Test
  void settingBeforeAnySection() {
    ConfigException e = failure("listen_port = 1\n[pgbouncer]\n");
    assertThat(e.getMessage())
        .isEqualTo("pgbouncer.ini:1: \"listen_port\" comes before any section; put it under"
            + " [pgbouncer], [databases], [users] or [peers]");
    assertThat(e.line()).isEqualTo(1);
  }

  @Test
  void syntaxErrors() {
    assertThat(failure("[pgbouncer\n").getMessage())
        .isEqualTo("pgbouncer.ini:1: syntax error: section name has no closing ']'");
    assertThat(failure("[pgbouncer]\nlisten_port 6432\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: syntax error: expected \"=\" after \"listen_port\" in"
            + " \"listen_port 6432\"");
    assertThat(failure("[pgbouncer]\n= 5\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: syntax error: missing name before \"=\"");
    assertThat(failure("[pgbouncer] extra\n").getMessage())
        .isEqualTo("pgbouncer.ini:1: syntax error: unexpected \"extra\" after section name");
    assertThat(failure("[databases]\n'my db = host=x\n[pgbouncer]\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: syntax error: quoted name has no closing '");
  }

  @Test
  void invalidEnumNamesKeyValueAndAllowed() {
    ConfigException e = failure("[pgbouncer]\n\n\n\n\n\npool_mode = sessoin\n");
    assertThat(e.getMessage())
        .isEqualTo("pgbouncer.ini:7: pool_mode: invalid value \"sessoin\""
            + " (allowed: session, transaction, statement)");
    assertThat(e.file()).isEqualTo(INI);
    assertThat(e.line()).isEqualTo(7);
    assertThat(e.key()).isEqualTo("pool_mode");
    assertThat(e.value()).isEqualTo("sessoin");
    assertThat(failure("[pgbouncer]\nauth_type = ldap\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: auth_type: invalid value \"ldap\" (allowed: any, trust,"
            + " plain, md5, scram-sha-256, cert, hba, pam)");
    assertThat(failure("[pgbouncer]\nserver_tls_sslmode = verify\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: server_tls_sslmode: invalid value \"verify\" (allowed:"
            + " disable, allow, prefer, require, verify-ca, verify-full)");
  }

  @Test
  void httpSizeLimitsDefaultToNeonsAndRefuseTooSmall() throws ConfigException {
    assertThat(load("[pgbouncer]\n").general().httpMaxRequestSize()).isEqualTo(10 << 20);
    assertThat(load("[pgbouncer]\n").general().httpMaxResponseSize()).isEqualTo(10 << 20);
    General g = load("[pgbouncer]\nhttp_max_request_size = 65536\nhttp_max_response_size = 1048576\n").general();
    assertThat(g.httpMaxRequestSize()).isEqualTo(65536);
    assertThat(g.httpMaxResponseSize()).isEqualTo(1 << 20);
    assertThat(failure("[pgbouncer]\nhttp_max_response_size = 100\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: http_max_response_size: invalid value \"100\" (allowed: an integer >= 1024)");
    assertThat(failure("[pgbouncer]\nhttp_max_request_size = 10MB\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: http_max_request_size: invalid value \"10MB\" (allowed: an integer >= 1024)");
  }

  @Test
  void trailingCommentIsPartOfTheValueAsInPgBouncer() {
    ConfigException e = failure("[pgbouncer]\npool_mode = transaction  # Best for serverless\n");
    assertThat(e.getMessage())
        .isEqualTo("pgbouncer.ini:2: pool_mode: invalid value \"transaction  # Best for"
            + " serverless\" (allowed: session, transaction, statement); note: comments must be"
            + " on their own line, '#' and ';' after a value are part of the value");
  }

  @Test
  void invalidIntegers() {
    assertThat(failure("[pgbouncer]\nmax_client_conn = lots\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: max_client_conn: invalid value \"lots\""
            + " (allowed: an integer >= 0)");
    assertThat(failure("[pgbouncer]\ndefault_pool_size = -1\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: default_pool_size: invalid value \"-1\""
            + " (allowed: an integer >= 0)");
    assertThat(failure("[pgbouncer]\nlisten_port = 70000\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: listen_port: invalid value \"70000\""
            + " (allowed: an integer from 1 to 65535)");
    assertThat(failure("[pgbouncer]\nmax_client_conn =\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: max_client_conn: invalid value \"\""
            + " (allowed: an integer >= 0)");
    assertThat(failure("[pgbouncer]\nmax_client_conn = 99999999999\n").value())
        .isEqualTo("99999999999");
    assertThat(failure("[pgbouncer]\nlog_connections = yes\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: log_connections: invalid value \"yes\" (allowed: 0 or 1)");
  }

  @Test
  void integersAreReadAsStrtolDoes() throws Exception {
    General g =
        load("[pgbouncer]\nunix_socket_mode = 0700\nmax_client_conn = 0x20\npkt_buf = +8192\n")
            .general();
    assertThat(g.unixSocketMode()).isEqualTo(0700).isEqualTo(448);
    assertThat(g.maxClientConn()).isEqualTo(32);
    assertThat(g.pktBuf()).isEqualTo(8192);
    assertThat(failure("[pgbouncer]\nmax_client_conn = 09\n").key()).isEqualTo("max_client_conn");
    assertThat(failure("[pgbouncer]\nunix_socket_mode = 01000\n").getMessage())
        .endsWith("(allowed: an integer from 0 to 511)");
  }

  @Test
  void booleansAreIntegers() throws Exception {
    General g = load("[pgbouncer]\nlog_connections = 0\nserver_reset_query_always = 2\n")
        .general();
    assertThat(g.logConnections()).isFalse();
    assertThat(g.serverResetQueryAlways()).isTrue();
    assertThat(g.valueOf("server_reset_query_always")).isEqualTo("1");
  }

  @Test
  void timesAreSecondsWithFractionsAndNoUnits() throws Exception {
    General g =
        load(
            """
            [pgbouncer]
            query_wait_timeout = 0.5
            server_lifetime = 7200
            server_idle_timeout = 0
            reserve_pool_timeout = 1.25e1
            query_timeout = .000001
            client_login_timeout = 3.
            stats_period = 30
            """)
            .general();
    assertThat(g.queryWaitTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(g.serverLifetime()).isEqualTo(Duration.ofHours(2));
    assertThat(g.serverIdleTimeout()).isZero();
    assertThat(g.reservePoolTimeout()).isEqualTo(Duration.ofMillis(12_500));
    assertThat(g.queryTimeout()).isEqualTo(Duration.ofNanos(1_000));
    assertThat(g.clientLoginTimeout()).isEqualTo(Duration.ofSeconds(3));
    assertThat(g.statsPeriod()).isEqualTo(Duration.ofSeconds(30));
    assertThat(g.valueOf("query_wait_timeout")).isEqualTo("0.5");
    assertThat(g.valueOf("reserve_pool_timeout")).isEqualTo("12.5");
    assertThat(g.valueOf("server_lifetime")).isEqualTo("7200");
    assertThat(g.valueOf("query_timeout")).isEqualTo("0.000001");
  }

  @Test
  void timeUnitsAndNegativesAreRefused() {
    String allowed = "(allowed: a number of seconds >= 0 such as 30 or 0.5; units such as \"s\""
        + " or \"ms\" are not accepted)";
    assertThat(failure("[pgbouncer]\nserver_lifetime = 1h\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: server_lifetime: invalid value \"1h\" " + allowed);
    assertThat(failure("[pgbouncer]\nquery_timeout = 500ms\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: query_timeout: invalid value \"500ms\" " + allowed);
    assertThat(failure("[pgbouncer]\nquery_timeout = -1\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: query_timeout: invalid value \"-1\" " + allowed);
    assertThat(failure("[pgbouncer]\nstats_period = 1.5\n").getMessage())
        .isEqualTo("pgbouncer.ini:2: stats_period: invalid value \"1.5\" (allowed: a whole number"
            + " of seconds >= 0; units such as \"s\" or \"min\" are not accepted)");
  }

  @Test
  void listsAndSets() throws Exception {
    General g =
        load(
            """
            [pgbouncer]
            listen_addr = 127.0.0.1, ::1
            ignore_startup_parameters = extra_float_digits, Search_Path,options
            stats_users = b, a, b
            """)
            .general();
    assertThat(g.listenAddr()).containsExactly("127.0.0.1", "::1");
    assertThat(g.listensOnTcp()).isTrue();
    assertThat(g.listensOnAllAddresses()).isFalse();
    assertThat(g.ignoreStartupParameters())
        .containsExactly("extra_float_digits", "search_path", "options");
    assertThat(g.statsUsers()).containsExactly("b", "a");
    assertThat(load("[pgbouncer]\nlisten_addr = *\n").general().listensOnAllAddresses()).isTrue();
  }

  @Test
  void emptyStringsMeanNotSet() throws Exception {
    General g =
        load("[pgbouncer]\nunix_socket_dir =\nserver_reset_query =\nauth_user =\n").general();
    assertThat(g.unixSocketDir()).isNull();
    assertThat(g.serverResetQuery()).isNull();
    assertThat(g.authUser()).isNull();
    assertThat(g.valueOf("unix_socket_dir")).isEmpty();
  }

  @Test
  void relativePathsAreResolvedAgainstTheConfigFile() throws Exception {
    Path ini = Path.of("/etc/breakwater/pgbouncer.ini");
    General g =
        ConfigLoader.load(
                "[pgbouncer]\nauth_file = userlist.txt\nlogfile = /var/log/bw.log\n"
                    + "pidfile = ../run/bw.pid\n",
                ini)
            .general();
    assertThat(g.authFile()).isEqualTo(Path.of("/etc/breakwater/userlist.txt"));
    assertThat(g.logfile()).isEqualTo(Path.of("/var/log/bw.log"));
    assertThat(g.pidfile()).isEqualTo(Path.of("/etc/run/bw.pid"));
    assertThat(g.conffile()).isEqualTo(ini);
  }

  @Test
  void aRelativePathFoundOnlyInTheWorkingDirectoryIsTakenFromThere(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    // PgBouncer's rule, for its configurations: pom.xml is in the working directory (the module's
    // directory under Maven), not next to the config file.
    Path ini = dir.resolve("pgbouncer.ini");
    java.nio.file.Files.writeString(dir.resolve("userlist.txt"), "");
    General g =
        ConfigLoader.load("[pgbouncer]\nauth_file = userlist.txt\nauth_hba_file = pom.xml\n", ini).general();
    assertThat(g.authFile()).isEqualTo(dir.resolve("userlist.txt"));
    assertThat(g.authHbaFile()).isEqualTo(Path.of("pom.xml").toAbsolutePath());
  }

  @Test
  void crossCheckWarnings() throws Exception {
    Settings noUsers = load("[pgbouncer]\nauth_type = scram-sha-256\n");
    assertThat(noUsers.warnings()).extracting(ConfigWarning::toString)
        .containsExactly("pgbouncer.ini:2: auth_type scram-sha-256 needs users, but neither"
            + " auth_file nor auth_user is set: no one can log in");
    Settings any = load("[databases]\na = host=x\nb = host=x user=bob\n* = host=y\n[pgbouncer]\n"
        + "auth_type = any\n");
    // One per database entry without user=, the * fallback too, at the entry's own line.
    assertThat(any.warnings()).extracting(ConfigWarning::toString)
        .containsExactly(
            "pgbouncer.ini:2: auth_type any ignores the client's user name, so database \"a\" needs"
                + " user= to say who to log in as; until it has one, its clients are refused"
                + " (auth_type=any requires forced user)",
            "pgbouncer.ini:4: auth_type any ignores the client's user name, so database \"*\" needs"
                + " user= to say who to log in as; until it has one, its clients are refused"
                + " (auth_type=any requires forced user)");
    assertThat(load("[pgbouncer]\nauth_type = hba\nauth_file = u.txt\n").warnings())
        .extracting(ConfigWarning::message)
        .containsExactly("auth_type hba, but auth_hba_file is not set");
  }

  @Test
  void missingMainFile() {
    Path missing = Path.of("/nonexistent/breakwater/pgbouncer.ini");
    assertThatThrownBy(() -> ConfigLoader.load(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage("/nonexistent/breakwater/pgbouncer.ini: cannot read config file"
            + " /nonexistent/breakwater/pgbouncer.ini: no such file");
  }
}
