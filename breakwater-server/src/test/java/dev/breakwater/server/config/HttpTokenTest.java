package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http_auth_token_file: read at load, kept as a hash, shown as its file name, refused if short or missing. */
class HttpTokenTest {

  @Test
  void theTokenIsTheFirstLineAndOnlyItsFileIsShown(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("token"), "  s3cret-token-0123456789  \nsecond line\n");
    Path ini = dir.resolve("pgbouncer.ini");
    General g = ConfigLoader.load("[pgbouncer]\nhttp_auth_token_file = token\n", ini).general();
    assertThat(g.httpAuthToken().matches("s3cret-token-0123456789")).isTrue();
    assertThat(g.httpAuthToken().matches("s3cret-token-012345678")).isFalse();
    assertThat(g.httpAuthToken().matches("second line")).isFalse();
    assertThat(g.httpAuthToken().matches(null)).isFalse();
    assertThat(g.valueOf("http_auth_token_file")).isEqualTo(dir.resolve("token").toString());
    assertThat(g.httpAuthToken().toString()).doesNotContain("s3cret");
  }

  @Test
  void aShortOrMissingTokenIsAConfigErrorAtItsLine(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("short"), "tooshort\n");
    Path ini = dir.resolve("pgbouncer.ini");
    assertThatThrownBy(() -> ConfigLoader.load("[pgbouncer]\n\nhttp_auth_token_file = short\n", ini))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("pgbouncer.ini:3")
        .hasMessageContaining("at least 16 characters");
    assertThatThrownBy(() -> ConfigLoader.load("[pgbouncer]\nhttp_auth_token_file = absent\n", ini))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("pgbouncer.ini:2")
        .hasMessageContaining("a readable file");
  }

  @Test
  void allowedHostsAreLowerCased() throws Exception {
    General g = ConfigLoader.load("[pgbouncer]\nhttp_allowed_hosts = BW.example, other\n", Path.of("x.ini")).general();
    assertThat(g.httpAllowedHosts()).containsExactly("bw.example", "other");
  }
}
