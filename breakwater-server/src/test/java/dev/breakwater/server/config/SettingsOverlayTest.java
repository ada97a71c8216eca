package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Breakwater's own settings outside pgbouncer.ini (issue 21): a --settings file read after it, and
 * BREAKWATER_<NAME> environment variables, so that the file PgBouncer reads holds nothing it would
 * refuse.
 */
class SettingsOverlayTest {

  @TempDir Path dir;

  @AfterEach
  void clear() {
    ConfigLoader.overlay(null);
  }

  private Path pgbouncerIni() throws Exception {
    Path ini = dir.resolve("pgbouncer.ini");
    Files.writeString(ini, "[databases]\napp = host=127.0.0.1\n[pgbouncer]\nlisten_port = 6432\nmax_client_conn = 50\n");
    return ini;
  }

  @Test
  void aSettingsFileIsReadAfterPgbouncerIni() throws Exception {
    Path extra = dir.resolve("breakwater.ini");
    Files.writeString(extra, "[pgbouncer]\nhttp_listen_port = 8080\nlog_format = json\nmax_client_conn = 70\n");
    ConfigLoader.overlay(new ConfigLoader.Overlay(extra, Map.of()));
    Settings s = ConfigLoader.load(pgbouncerIni());
    assertThat(s.general().httpListenPort()).isEqualTo(8080);
    assertThat(s.general().logFormat()).isEqualTo("json");
    assertThat(s.general().maxClientConn()).as("the later file wins").isEqualTo(70);
    assertThat(s.general().listenPort()).isEqualTo(6432);
    assertThat(s.databases()).containsKey("app");
  }

  @Test
  void environmentVariablesSetBreakwatersOwnSettingsOnly() throws Exception {
    ConfigLoader.overlay(new ConfigLoader.Overlay(null, Map.of(
        "BREAKWATER_HTTP_LISTEN_PORT", "9090",
        "BREAKWATER_TLS_PROVIDER", "jdk",
        "BREAKWATER_MAX_CLIENT_CONN", "999",
        "BREAKWATER_JAVA_OPTS", "-Xmx2g")));
    Settings s = ConfigLoader.load(pgbouncerIni());
    assertThat(s.general().httpListenPort()).isEqualTo(9090);
    assertThat(s.general().tlsProvider()).isEqualTo(TlsProvider.JDK);
    assertThat(s.general().maxClientConn()).as("PgBouncer's settings stay in the files").isEqualTo(50);
    assertThat(ConfigLoader.environmentName("http_listen_port")).isEqualTo("BREAKWATER_HTTP_LISTEN_PORT");
  }

  @Test
  void aBadValueFromTheEnvironmentSaysWhereItCameFrom() throws Exception {
    ConfigLoader.overlay(new ConfigLoader.Overlay(null, Map.of("BREAKWATER_HTTP_LISTEN_PORT", "eighty")));
    Path ini = pgbouncerIni();
    assertThatThrownBy(() -> ConfigLoader.load(ini))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(environment)")
        .hasMessageContaining("http_listen_port");
  }
}
