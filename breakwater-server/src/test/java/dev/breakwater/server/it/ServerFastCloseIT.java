package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * server_fast_close = 1 in session mode: after RECONNECT, a session client's server closes as soon
 * as the client is between transactions (its transaction is let finish), and the client is told
 * "database configuration changed"; without it the server is kept until the session ends.
 * PgBouncer's test_fast_close.
 */
class ServerFastCloseIT {

  private static Pooler start(boolean fastClose) throws Exception {
    return Pooler.builder()
        .set("pool_mode", "session")
        .set("admin_users", Roles.ADMIN)
        .set("server_fast_close", fastClose ? "1" : "0")
        .start();
  }

  private static void reconnect(Pooler pooler) throws Exception {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    try (Connection admin = pooler.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), p)) {
      Sql.exec(admin, "RECONNECT " + Roles.DATABASE);
    }
  }

  @Test
  void anIdleSessionLosesItsServerAtOnce() throws Exception {
    try (Pooler pooler = start(true); Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      reconnect(pooler);
      Thread.sleep(500);
      assertThatThrownBy(() -> Sql.one(c, "SELECT 1")).hasMessageContaining("database configuration changed");
    }
  }

  @Test
  void aTransactionIsLetFinishFirst() throws Exception {
    try (Pooler pooler = start(true); Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "BEGIN");
      int pid = Sql.pid(c);
      reconnect(pooler);
      Thread.sleep(500);
      assertThat(Sql.pid(c)).as("the same server within the transaction").isEqualTo(pid);
      Sql.exec(c, "COMMIT");
      Thread.sleep(500);
      assertThatThrownBy(() -> Sql.one(c, "SELECT 1")).hasMessageContaining("database configuration changed");
    }
  }

  @Test
  void withoutItTheSessionKeepsItsServer() throws Exception {
    try (Pooler pooler = start(false); Connection c = pooler.connect(Roles.PLAIN)) {
      int pid = Sql.pid(c);
      reconnect(pooler);
      Thread.sleep(500);
      assertThat(Sql.pid(c)).isEqualTo(pid);
    }
  }
}
