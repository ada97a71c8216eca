package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SHUTDOWN from the admin console: at once, or after the clients have left. */
class AdminShutdownIT {

  static Connection console(Pooler pooler) throws SQLException {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    return pooler.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), p);
  }

  @Test
  void shutdownWaitForClientsAnswersAndDrains() throws Exception {
    try (Pooler pooler = Pooler.builder().set("admin_users", Roles.ADMIN).start()) {
      try (Connection app = pooler.connect(Roles.PLAIN)) {
        Sql.exec(app, "SELECT 1");
        try (Connection admin = console(pooler)) {
          Sql.exec(admin, "SHUTDOWN WAIT_FOR_CLIENTS");
        }
        // The TCP listener is closed while the old clients finish.
        assertThat((Object) org.assertj.core.api.Assertions.catchThrowableOfType(SQLException.class, () -> pooler.connect(Roles.PLAIN).close()))
            .isNotNull();
      }
      pooler.breakwater().stopped().get(20, TimeUnit.SECONDS);
    }
  }

  @Test
  void shutdownStopsAtOnce() throws Exception {
    try (Pooler pooler = Pooler.builder().set("admin_users", Roles.ADMIN).start()) {
      try (Connection admin = console(pooler)) {
        // PgBouncer does not answer SHUTDOWN: the connection ends with the process.
        SQLException e = org.assertj.core.api.Assertions.catchThrowableOfType(SQLException.class, () -> Sql.exec(admin, "SHUTDOWN"));
        assertThat((Object) e).isNotNull();
      }
      pooler.breakwater().stopped().get(20, TimeUnit.SECONDS);
    }
  }
}
