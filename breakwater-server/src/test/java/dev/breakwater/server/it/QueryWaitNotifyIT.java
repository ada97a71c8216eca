package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * query_wait_notify: a client that waits longer than this for a server is sent a NOTICE, once
 * per wait, with PgBouncer's text; one served in time hears nothing. PgBouncer's
 * test_notify_queue.
 */
class QueryWaitNotifyIT {

  /** The NOTICEs pgjdbc attached to a statement that ran {@code sql}. */
  private static List<String> notices(Connection c, String sql) throws Exception {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement()) {
      s.execute(sql);
      for (SQLWarning w = s.getWarnings(); w != null; w = w.getNextWarning()) {
        out.add(w.getMessage());
      }
    }
    return out;
  }

  /** Holds the pool's one server for {@code seconds} from another connection. */
  private static CompletableFuture<Void> holdServer(Pooler pooler, double seconds) {
    return CompletableFuture.runAsync(() -> {
      try (Connection busy = pooler.connect(Roles.PLAIN)) {
        Sql.exec(busy, "SELECT pg_sleep(" + seconds + ")");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void aClientThatWaitsLongIsToldOncePerWait() throws Exception {
    try (Pooler pooler = Pooler.builder().poolMode("transaction").poolSize(1).set("query_wait_notify", "1").start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(notices(c, "SELECT 1")).isEmpty();
      for (int round = 0; round < 2; round++) {
        CompletableFuture<Void> busy = holdServer(pooler, 2.5);
        Thread.sleep(500);
        assertThat(notices(c, "SELECT 1"))
            .as("round %d", round)
            .containsExactly("No server connection available in " + Roles.DATABASE + " backend, client being queued");
        busy.get();
      }
    }
  }

  @Test
  void aShortWaitIsNotNotified() throws Exception {
    try (Pooler pooler = Pooler.builder().poolMode("transaction").poolSize(1).set("query_wait_notify", "5").start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.one(c, "SELECT 1");
      CompletableFuture<Void> busy = holdServer(pooler, 1.5);
      Thread.sleep(300);
      assertThat(notices(c, "SELECT 1")).isEmpty();
      busy.get();
    }
  }
}
