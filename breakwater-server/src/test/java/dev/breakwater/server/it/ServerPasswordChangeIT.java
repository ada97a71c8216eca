package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.serverError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

/**
 * The server password changes under a running pool: a new server's login fails with 28P01, and the
 * clients waiting for a server get that error at once, as in PgBouncer, even while another server
 * of the pool is busy (it logged in with the old password); they do not wait for a timeout.
 */
class ServerPasswordChangeIT {

  private static final String ROLE = "bw_pwchange";

  @Test
  void waitingClientsGetTheLoginErrorAtOnceWhileAnotherServerIsBusy() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    pg.execute(
        "DROP ROLE IF EXISTS " + ROLE,
        "CREATE ROLE " + ROLE + " LOGIN PASSWORD 'old_pw'",
        "GRANT ALL ON DATABASE " + Roles.DATABASE + " TO " + ROLE);
    try (Pooler p =
        Pooler.builder()
            .database("pwch = dbname=" + Roles.DATABASE + " user=" + ROLE + " password=old_pw pool_size=2")
            .start();
        Connection holder = p.connect("pwch", Roles.PLAIN, Roles.password(Roles.PLAIN), new java.util.Properties());
        Connection waiter = p.connect("pwch", Roles.PLAIN, Roles.password(Roles.PLAIN), new java.util.Properties())) {
      holder.setAutoCommit(false);
      assertThat(Sql.one(holder, "SELECT current_user")).isEqualTo(ROLE);
      pg.execute("ALTER ROLE " + ROLE + " PASSWORD 'new_pw'");
      long t0 = System.nanoTime();
      ServerErrorMessage m = serverError(() -> Sql.one(waiter, "SELECT 1"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(m.getSQLState()).isEqualTo("28P01");
      assertThat(m.getMessage()).isEqualTo("password authentication failed for user \"" + ROLE + "\"");
      assertThat(ms).as("error at once, not after query_wait_timeout").isLessThan(3000);
      // The busy server, logged in before the change, goes on serving its client.
      assertThat(Sql.one(holder, "SELECT 2")).isEqualTo("2");
      holder.rollback();
    } finally {
      pg.execute("DROP OWNED BY " + ROLE, "DROP ROLE IF EXISTS " + ROLE);
    }
  }
}
