package dev.breakwater.server.frontend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.config.ConfigException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** auth_ident_file in pg_ident.conf's form, as PgBouncer's test suite writes it. */
class IdentMapTest {

  private static IdentMap map(String... lines) throws ConfigException {
    return IdentMap.parse(List.of(lines), Path.of("pgident.conf"));
  }

  @Test
  void namesQuotedNamesAndAll() throws Exception {
    IdentMap m =
        map(
            "# MAPNAME SYSTEM-USERNAME PG-USERNAME",
            "test\t\tpgbouncer.acme.org\tsomeuser",
            "test\t\tpgbouncer.acme.org\tanotheruser   # a comment",
            "test2\t\t\"bouncer\"\t\tall",
            "test2\t\tpgbouncer.acme.org\t\"anotheruser\"",
            "",
            "quoted \"sys\" \"all\"");
    assertThat(m.permits("test", "pgbouncer.acme.org", "someuser")).isTrue();
    assertThat(m.permits("test", "pgbouncer.acme.org", "anotheruser")).isTrue();
    assertThat(m.permits("test", "pgbouncer.acme.org", "bouncer")).isFalse();
    assertThat(m.permits("test2", "bouncer", "anyone")).as("all").isTrue();
    assertThat(m.permits("test2", "pgbouncer.acme.org", "anotheruser")).isTrue();
    assertThat(m.permits("test2", "pgbouncer.acme.org", "someuser")).isFalse();
    assertThat(m.permits("quoted", "sys", "all")).as("a quoted all is a user called all").isTrue();
    assertThat(m.permits("quoted", "sys", "other")).isFalse();
    assertThat(m.permits("nomap", "pgbouncer.acme.org", "someuser")).isFalse();
  }

  @Test
  void aRegularExpressionMayGiveItsFirstGroup() throws Exception {
    IdentMap m = map("certs /^(.*)@example\\.com$ \\1", "any /^admin- all");
    assertThat(m.permits("certs", "alice@example.com", "alice")).isTrue();
    assertThat(m.permits("certs", "alice@example.com", "bob")).isFalse();
    assertThat(m.permits("certs", "alice@example.org", "alice")).isFalse();
    assertThat(m.permits("any", "admin-1", "whoever")).isTrue();
  }

  @Test
  void mistakesNameTheLine() {
    assertThatThrownBy(() -> map("only two")).isInstanceOf(ConfigException.class).hasMessageContaining("pgident.conf:1");
    assertThatThrownBy(() -> map("m /([x y")).isInstanceOf(ConfigException.class).hasMessageContaining("regular expression");
  }
}
