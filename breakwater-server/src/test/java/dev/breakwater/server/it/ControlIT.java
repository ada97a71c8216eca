package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.Control.ShutdownMode;
import dev.breakwater.server.config.ConfigException;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The operator verbs, through the Control interface the admin console and signals use. */
class ControlIT {

  private static int pid(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void pauseWaitsForTransactionsAndResumeServesTheWaiters() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(2).start();
        Connection busy = pooler.connect(Roles.PLAIN);
        Connection later = pooler.connect(Roles.PLAIN)) {
      busy.setAutoCommit(false);
      busy.createStatement().execute("SELECT 1");
      CompletableFuture<Void> paused = pooler.breakwater().control().pause(null);
      Thread.sleep(300);
      assertThat(paused).as("a transaction is still open").isNotDone();
      CompletableFuture<Integer> waiter = CompletableFuture.supplyAsync(() -> {
        try {
          return pid(later);
        } catch (SQLException e) {
          throw new RuntimeException(e);
        }
      });
      busy.commit();
      paused.get(5, TimeUnit.SECONDS);
      // The backends exit once PostgreSQL has seen the connections close: a moment later.
      long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (pooler.backendsOf(Roles.PLAIN) > 0 && System.nanoTime() < gone) {
        Thread.sleep(20);
      }
      assertThat(pooler.backendsOf(Roles.PLAIN)).as("PAUSE closed the servers").isZero();
      Thread.sleep(300);
      assertThat(waiter).as("no server is lent while paused").isNotDone();
      pooler.breakwater().control().resume(null);
      assertThat(waiter.get(5, TimeUnit.SECONDS)).isPositive();
    }
  }

  @Test
  void aServerThatLogsInDuringPauseIsNoFailure() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(3).set("min_pool_size", "3").start()) {
      var pools = pooler.breakwater().pools();
      // The janitor opens min_pool_size servers for the pool the first client makes.
      pooler.connect(Roles.PLAIN).close();
      dev.breakwater.server.pool.Pool pool = pools.all().iterator().next();
      pool.closeIdle(dev.breakwater.server.CloseReason.RECONNECT);
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (pool.snapshot().login() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      pooler.breakwater().control().pause(null).get(5, TimeUnit.SECONDS);
      assertThat(pool.lastServerError()).as("servers retired by PAUSE are not login failures").isNull();
      pooler.breakwater().control().resume(null);
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        assertThat(pid(c)).isPositive();
      }
    }
  }

  @Test
  void reconnectReplacesServersAndKillClosesClients() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      int before = pid(c);
      pooler.breakwater().control().reconnect(Roles.DATABASE);
      pooler.breakwater().control().waitClose(Roles.DATABASE).get(5, TimeUnit.SECONDS);
      assertThat(pid(c)).isNotEqualTo(before);

      pooler.breakwater().control().kill(Roles.DATABASE).get(5, TimeUnit.SECONDS);
      // Done means closed: the pool lists the client no more (PgBouncer's test_kill_db).
      assertThat(pooler.breakwater().pools().all().stream().mapToInt(p -> p.clients().size()).sum()).isZero();
      assertThatThrownBy(() -> pid(c)).isInstanceOf(SQLException.class);
      assertThat(pooler.breakwater().control().isPaused(Roles.DATABASE)).as("KILL pauses, as PgBouncer").isTrue();
      CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
        try (Connection again = pooler.connect(Roles.PLAIN)) {
          return pid(again);
        } catch (SQLException e) {
          throw new RuntimeException(e);
        }
      });
      Thread.sleep(300);
      assertThat(waiting).as("new work waits for RESUME").isNotDone();
      pooler.breakwater().control().resume(Roles.DATABASE);
      assertThat(waiting.get(5, TimeUnit.SECONDS)).isPositive();
    }
  }

  @Test
  void disableRefusesNewClientsOnly() throws Exception {
    try (Pooler pooler = Pooler.builder().start();
        Connection connected = pooler.connect(Roles.PLAIN)) {
      pooler.breakwater().control().disable(Roles.DATABASE);
      assertThatThrownBy(() -> pooler.connect(Roles.PLAIN))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("database \"" + Roles.DATABASE + "\" is disabled")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57P03"));
      assertThat(pid(connected)).isPositive();
      pooler.breakwater().control().enable(Roles.DATABASE);
      pooler.connect(Roles.PLAIN).close();
    }
  }

  @Test
  void reloadAppliesNewSizesAndRejectsABadFileWhole() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).start()) {
      Path ini = pooler.configDir().resolve("pgbouncer.ini");
      String good = Files.readString(ini);
      Files.writeString(ini, good.replace("default_pool_size = 1", "default_pool_size = 3"));
      pooler.breakwater().control().reload();
      assertThat(pooler.breakwater().settings().general().defaultPoolSize()).isEqualTo(3);
      try (Connection a = pooler.connect(Roles.PLAIN);
          Connection b = pooler.connect(Roles.PLAIN)) {
        a.setAutoCommit(false);
        b.setAutoCommit(false);
        assertThat(pid(a)).as("two transactions at once: the pool grew").isNotEqualTo(pid(b));
        a.commit();
        b.commit();
      }
      Files.writeString(ini, good.replace("pool_mode = transaction", "pool_mode = sometimes"));
      assertThatThrownBy(() -> pooler.breakwater().control().reload())
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("pool_mode");
      assertThat(pooler.breakwater().settings().general().defaultPoolSize()).isEqualTo(3);
      pooler.connect(Roles.PLAIN).close();
    }
  }

  @Test
  void reloadMovingADatabaseReplacesItsServers() throws Exception {
    try (Pooler pooler = Pooler.builder().poolSize(1).start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      try (ResultSet rs = c.createStatement().executeQuery("SELECT current_database()")) {
        rs.next();
        assertThat(rs.getString(1)).isEqualTo(Roles.DATABASE);
      }
      Path ini = pooler.configDir().resolve("pgbouncer.ini");
      Files.writeString(
          ini, Files.readString(ini).replace("dbname=" + Roles.DATABASE + "\n", "dbname=postgres\n"));
      pooler.breakwater().control().reload();
      try (ResultSet rs = c.createStatement().executeQuery("SELECT current_database()")) {
        rs.next();
        assertThat(rs.getString(1)).as("the same client, the next transaction, the new database").isEqualTo("postgres");
      }
    }
  }

  @Test
  void setChangesARunTimeSetting() throws Exception {
    try (Pooler pooler = Pooler.builder().start()) {
      pooler.breakwater().control().set("query_wait_timeout", "7");
      assertThat(pooler.breakwater().settings().general().queryWaitTimeout().toSeconds()).isEqualTo(7);
      assertThatThrownBy(() -> pooler.breakwater().control().set("listen_port", "1"))
          .isInstanceOf(ConfigException.class);
    }
  }

  @Test
  void shutdownWaitForClientsServesTheClientsItHasUntilTheyLeave() throws Exception {
    try (Pooler pooler = Pooler.builder().start()) {
      Connection inTx = pooler.connect(Roles.PLAIN);
      Connection idle = pooler.connect(Roles.PLAIN);
      inTx.setAutoCommit(false);
      inTx.createStatement().execute("SELECT 1");
      CompletableFuture<Void> stopped = pooler.breakwater().control().shutdown(ShutdownMode.WAIT_FOR_CLIENTS);
      Thread.sleep(300);
      assertThat(pooler.breakwater().control().isShuttingDown()).isTrue();
      assertThatThrownBy(() -> pooler.connect(Roles.PLAIN)).as("no new clients").isInstanceOf(SQLException.class);
      assertThat(pid(idle)).as("an idle client carries on, as in PgBouncer").isPositive();
      assertThat(pid(inTx)).as("the open transaction carries on").isPositive();
      inTx.commit();
      assertThat(pid(inTx)).as("and so does its client, between transactions").isPositive();
      inTx.close();
      Thread.sleep(300);
      assertThat(stopped).as("running while a client is connected").isNotDone();
      idle.close();
      stopped.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void shutdownWaitForServersClosesAClientThatAsksForAServer() throws Exception {
    try (Pooler pooler = Pooler.builder().start();
        Connection inTx = pooler.connect(Roles.PLAIN);
        Connection idle = pooler.connect(Roles.PLAIN)) {
      inTx.setAutoCommit(false);
      inTx.createStatement().execute("SELECT 1");
      CompletableFuture<Void> stopped = pooler.breakwater().control().shutdown(ShutdownMode.WAIT_FOR_SERVERS);
      Thread.sleep(300);
      assertThat(pid(inTx)).as("the open transaction keeps its server").isPositive();
      assertThatThrownBy(() -> pid(idle))
          .as("a client that needs a server now is closed, not kept waiting")
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("server shutting down")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("57P01"));
      assertThat(stopped).isNotDone();
      inTx.commit();
      stopped.get(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void suspendStopsReadingUntilResume() throws Exception {
    try (Pooler pooler = Pooler.builder().start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(pid(c)).isPositive();
      pooler.breakwater().control().suspend().get(5, TimeUnit.SECONDS);
      assertThat(pooler.breakwater().control().isSuspended()).isTrue();
      assertThat(pooler.breakwater().control().suspend())
          .as("a second SUSPEND is refused")
          .isCompletedExceptionally();
      CompletableFuture<Integer> query =
          CompletableFuture.supplyAsync(() -> {
            try {
              return pid(c);
            } catch (SQLException e) {
              throw new RuntimeException(e);
            }
          });
      CompletableFuture<Void> newClient =
          CompletableFuture.runAsync(() -> {
            try {
              pooler.connect(Roles.PLAIN).close();
            } catch (SQLException e) {
              throw new RuntimeException(e);
            }
          });
      Thread.sleep(500);
      assertThat(query).as("nothing is read while suspended").isNotDone();
      assertThat(newClient).as("no connection is accepted while suspended").isNotDone();
      pooler.breakwater().control().resume(null);
      assertThat(query.get(5, TimeUnit.SECONDS)).isPositive();
      newClient.get(5, TimeUnit.SECONDS);
      assertThat(pooler.breakwater().control().isSuspended()).isFalse();
    }
  }
}
