package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import org.junit.jupiter.api.Test;

class TestPostgresSmokeTest {
  @Test
  void everyRoleLogsInDirectly() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    for (String role : new String[] {Roles.TRUST, Roles.PLAIN, Roles.MD5, Roles.SCRAM}) {
      try (Connection c = pg.connect(Roles.DATABASE, role, Roles.password(role));
          ResultSet rs = c.createStatement().executeQuery("select version()")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).startsWith("PostgreSQL 17");
      }
    }
  }
}
