package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * A client held back by max_db_connections gets a server that an idle one of another pool of the
 * database makes room for, even when that pool keeps min_pool_size: the room is not taken back by
 * the refill (it was, each janitor round, so the client waited for ever: PgBouncer's
 * test_client_hba_cert found it).
 */
class EvictionForWaitersIT {

  @Test
  void minPoolSizeDoesNotTakeBackTheRoomMadeForAWaitingClient() throws Exception {
    try (Pooler pooler =
        Pooler.builder()
            .set("auth_type", "trust")
            .database("limited = dbname=" + Roles.DATABASE + " max_db_connections=2 min_pool_size=2")
            .start()) {
      Properties p = new Properties();
      p.setProperty("socketTimeout", "10");
      try (Connection first = pooler.connect("limited", Roles.PLAIN, null, p)) {
        assertThat(Sql.one(first, "SELECT 1")).isEqualTo("1");
      }
      // The first pool now keeps its min_pool_size of 2: the database's limit.
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (pooler.backendsOf(Roles.PLAIN) < 2 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      try (Connection second = pooler.connect("limited", Roles.TRUST, null, p)) {
        assertThat(Sql.one(second, "SELECT current_user")).isEqualTo(Roles.TRUST);
      }
    }
  }
}
