package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

/** A server connection killed under a client: that client gets an error, others carry on. */
class BackendTerminatedIT {

  private static int pid(Connection c) throws SQLException {
    try (ResultSet rs = c.createStatement().executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static void terminate(Pooler pooler, int pid) throws SQLException {
    try (Connection admin = pooler.postgres().superuser()) {
      admin.createStatement().execute("SELECT pg_terminate_backend(" + pid + ")");
    }
  }

  @Test
  void terminatedInATransaction() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(2).start();
        Connection victim = pooler.connect(Roles.PLAIN);
        Connection bystander = pooler.connect(Roles.PLAIN)) {
      victim.setAutoCommit(false);
      int pid = pid(victim);
      bystander.setAutoCommit(false);
      int other = pid(bystander);
      terminate(pooler, pid);
      assertThatThrownBy(() -> pid(victim))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isIn("57P01", "08006"));
      assertThat(pid(bystander)).isEqualTo(other);
      bystander.commit();
      try (Connection fresh = pooler.connect(Roles.PLAIN)) {
        assertThat(pid(fresh)).as("the pool refilled").isPositive().isNotEqualTo(pid);
      }
    }
  }

  @Test
  void terminatedWhileIdleInThePool() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      int pid = pid(c);
      terminate(pooler, pid);
      Thread.sleep(200);
      assertThat(pid(c)).as("the dead idle server is not handed on").isNotEqualTo(pid);
    }
  }

  @Test
  void terminatedMidCopy() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(2).start();
        Connection victim = pooler.connect(Roles.PLAIN);
        Connection bystander = pooler.connect(Roles.PLAIN)) {
      int pid = pid(victim);
      CompletableFuture<Void> killer =
          CompletableFuture.runAsync(
              () -> {
                try {
                  Thread.sleep(300);
                  terminate(pooler, pid);
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              });
      OutputStream sink = OutputStream.nullOutputStream();
      assertThatThrownBy(
              () ->
                  victim
                      .unwrap(PGConnection.class)
                      .getCopyAPI()
                      .copyOut("COPY (SELECT g, pg_sleep(0.001) FROM generate_series(1, 100000) g) TO STDOUT", sink))
          .isInstanceOf(SQLException.class);
      killer.join();
      try (Statement s = bystander.createStatement();
          ResultSet rs = s.executeQuery("SELECT 41 + 1")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(42);
      }
    }
  }
}
