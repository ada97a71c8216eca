package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** auth_type = hba: the method per connection comes from an auth_hba_file in pg_hba.conf syntax. */
class HbaIT {

  @Test
  void rulesChooseTheMethodOrRefuse(@TempDir Path dir) throws Exception {
    Path hba = dir.resolve("hba.conf");
    Files.writeString(
        hba,
        String.join(
            "\n",
            "host postgres all 0.0.0.0/0 reject",
            "host all " + Roles.TRUST + " 127.0.0.1/32 trust",
            "host all " + Roles.PLAIN + " 127.0.0.1 255.255.255.255 password",
            "host all all 10.0.0.0/8 trust",
            ""));
    try (Pooler pooler = Pooler.builder().set("auth_type", "hba").set("auth_hba_file", hba.toString()).start()) {
      try (Connection c = pooler.connect(Roles.DATABASE, Roles.TRUST, "wrong password is not asked", new java.util.Properties())) {
        assertThat(c.isValid(2)).isTrue();
      }
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        assertThat(c.isValid(2)).isTrue();
      }
      assertThatThrownBy(() -> pooler.connect(Roles.DATABASE, Roles.PLAIN, "nope", new java.util.Properties()))
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
      assertThatThrownBy(() -> pooler.connect("postgres", Roles.TRUST, null, new java.util.Properties()))
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"))
          .hasMessageContaining("pg_hba.conf rejects connection");
      assertThatThrownBy(() -> pooler.connect(Roles.MD5))
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"))
          .hasMessageContaining("no pg_hba.conf entry for host \"127.0.0.1\", user \"bw_md5\"");
    }
  }
}
