package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A database with several hosts ({@code host=a,b}): new server connections take them in turn
 * ({@code load_balance_hosts = round-robin}) or the first that answers ({@code disable}), and a
 * host that cannot be reached (no name, nothing listening) is passed over before a client is told.
 * PostgreSQL listens on 127.0.0.1 only, so 127.0.0.2 refuses connections.
 */
class HostListIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler =
        Pooler.builder()
            .set("auth_type", "trust")
            .set("pool_mode", "session")
            .set("server_login_retry", "1")
            .set("query_wait_timeout", "3")
            .database("unnamed_first = host=unresolvable-hostname.invalid,127.0.0.1 dbname=" + Roles.DATABASE
                + " load_balance_hosts=disable")
            .database("refusing_second = host=127.0.0.1,127.0.0.2 dbname=" + Roles.DATABASE)
            .database("all_down = host=127.0.0.2,127.0.0.3 dbname=" + Roles.DATABASE)
            .start();
  }

  @AfterAll
  static void stop() throws Exception {
    pooler.close();
  }

  @Test
  void disableGoesOnToTheNextHostWhenTheFirstHasNoAddress() throws Exception {
    try (Connection c = pooler.connect("unnamed_first", Roles.TRUST, null, new java.util.Properties())) {
      assertThat(Sql.one(c, "SELECT host(inet_server_addr())")).isEqualTo("127.0.0.1");
    }
  }

  @Test
  void roundRobinPassesOverAHostThatRefuses() throws Exception {
    // Session pooling, all open at once: four servers, every other one first sent to 127.0.0.2.
    List<Connection> open = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        Connection c = pooler.connect("refusing_second", Roles.TRUST, null, new java.util.Properties());
        open.add(c);
        assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      }
    } finally {
      for (Connection c : open) {
        c.close();
      }
    }
  }

  @Test
  void whenEveryHostFailsTheClientIsTold() {
    // Each host tried once; then, as for one host, the client waits for the retry after
    // server_login_retry (1 s here) and is told why once it has waited that long.
    long start = System.nanoTime();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> pooler.connect("all_down", Roles.TRUST, null, new java.util.Properties()).close())
        .hasMessageContaining("could not connect to server");
    org.assertj.core.api.Assertions.assertThat(System.nanoTime() - start).isGreaterThan(900_000_000L);
  }
}
