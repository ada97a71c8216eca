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

  @Test
  void whileDrainingTheUnixSocketLetsOnlyTheConsoleIn(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
      throws Exception {
    try (Pooler pooler = Pooler.builder().set("unix_socket_dir", dir.toString()).set("auth_type", "trust").start()) {
      org.junit.jupiter.api.Assumptions.assumeTrue(
          pooler.breakwater().transport().serverDomainChannel() != null, "Unix sockets need epoll or io_uring");
      java.nio.file.Path socket = dir.resolve(".s.PGSQL." + pooler.port());
      try (Connection app = pooler.connect(Roles.PLAIN)) {
        Sql.exec(app, "SELECT 1");
        try (PgWire console = new PgWire(socket).login("pgbouncer", "pgbouncer", "")) {
          console.send(PgWire.query("SHUTDOWN WAIT_FOR_CLIENTS"));
          assertThat(console.readUntil('Z').type()).isEqualTo('Z');
          // RESUME cannot undo a shutdown: PgBouncer's error, its SQLSTATE.
          console.send(PgWire.query("RESUME"));
          PgWire.Message e = console.readUntil('E');
          assertThat(e.text()).isEqualTo("pooler is shutting down");
          assertThat(e.sqlState()).isEqualTo("08P01");
          console.readUntil('Z');
        }
        Thread.sleep(200);
        assertThat((Object) org.assertj.core.api.Assertions.catchThrowableOfType(SQLException.class, () -> pooler.connect(Roles.PLAIN).close()))
            .as("TCP is closed").isNotNull();
        try (PgWire console = new PgWire(socket).login("pgbouncer", "pgbouncer", "")) {
          console.send(PgWire.query("SHOW VERSION"));
          assertThat(console.readUntil('Z').type()).as("the console answers over the Unix socket").isEqualTo('Z');
        }
        try (PgWire other = new PgWire(socket)) {
          other.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE));
          PgWire.Message e = other.errorThenClose();
          assertThat(e).isNotNull();
          assertThat(e.text()).isEqualTo("pooler is shutting down");
        }
        Sql.exec(app, "SELECT 2");
      }
      pooler.breakwater().stopped().get(20, TimeUnit.SECONDS);
      assertThat(socket).as("the socket goes with the process").doesNotExist();
    }
  }
}
