package dev.breakwater.server.config;

import static dev.breakwater.server.config.ConfigLoaderTest.failure;
import static dev.breakwater.server.config.ConfigLoaderTest.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** [users] and [peers] lines, and how overrides combine into a pool's settings. */
class UserAndPeerSectionTest {

  @Test
  void everyUserKey() throws Exception {
    Settings s =
        load(
            """
            [pgbouncer]
            [users]
            report = pool_mode=session pool_size=3 reserve_pool_size=1 max_user_connections=5 \
            max_user_client_connections=50 query_timeout=30 idle_transaction_timeout=0.5 \
            transaction_timeout=60 client_idle_timeout=600
            plain =
            """);
    assertThat(s.users().get("report"))
        .isEqualTo(new UserEntry("report", PoolMode.SESSION, 3, 1, 5, Duration.ofSeconds(30),
            Duration.ofMillis(500), Duration.ofMinutes(1), Duration.ofMinutes(10), 50));
    assertThat(s.users().get("plain")).isEqualTo(UserEntry.named("plain"));
    assertThat(s.user("nobody")).isEmpty();
  }

  @Test
  void userErrors() {
    assertThat(failure("[pgbouncer]\n[users]\nbob = pool_mode=sessoin\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: user \"bob\": pool_mode: invalid value \"sessoin\""
            + " (allowed: session, transaction, statement)");
    assertThat(failure("[pgbouncer]\n[users]\nbob = host=x\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: user \"bob\": unknown parameter \"host\" (allowed:"
            + " pool_mode, pool_size, reserve_pool_size, max_user_connections,"
            + " max_user_client_connections, query_timeout, idle_transaction_timeout,"
            + " transaction_timeout, client_idle_timeout)");
    assertThat(failure("[pgbouncer]\n[users]\nbob = query_timeout=30s\n").getMessage())
        .startsWith("pgbouncer.ini:3: user \"bob\": query_timeout: invalid value \"30s\"");
  }

  @Test
  void peers() throws Exception {
    Settings s = load("[pgbouncer]\npeer_id = 1\n[peers]\n1 = host=/tmp\n2 = host=b port=7000"
        + " pool_size=3\n");
    assertThat(s.general().peerId()).isEqualTo(1);
    assertThat(s.peers().keySet()).containsExactly(1, 2);
    assertThat(s.peers().get(2)).isEqualTo(new PeerEntry(2, "b", 7000, 3));
  }

  @Test
  void peerErrors() {
    assertThat(failure("[pgbouncer]\n[peers]\nfirst = host=a\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: [peers]: invalid peer id \"first\""
            + " (allowed: an integer from 1 to 16383)");
    assertThat(failure("[pgbouncer]\n[peers]\n3 = port=1\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: peer 3: host is required");
  }

  @Test
  void poolSettingsFromGlobalsOnly() throws Exception {
    Settings s = load("[pgbouncer]\npool_mode = transaction\ndefault_pool_size = 20\n"
        + "[databases]\napp = host=x\n");
    PoolSettings p = s.poolSettings(s.database("app").orElseThrow(), "alice");
    assertThat(p.user()).isEqualTo("alice");
    assertThat(p.poolMode()).isEqualTo(PoolMode.TRANSACTION);
    assertThat(p.poolSize()).isEqualTo(20);
    assertThat(p.reservePoolSize()).isZero();
    assertThat(p.serverLifetime()).isEqualTo(Duration.ofHours(1));
    assertThat(p.queryTimeout()).isZero();
  }

  @Test
  void userBeatsDatabaseBeatsGlobal() throws Exception {
    Settings s =
        load(
            """
            [pgbouncer]
            pool_mode = transaction
            default_pool_size = 20
            reserve_pool_size = 5
            min_pool_size = 1
            max_db_connections = 50
            max_user_connections = 60
            query_timeout = 10
            server_lifetime = 3600
            [databases]
            app = host=x pool_mode=statement pool_size=10 reserve_pool=2 min_pool_size=3 \
            max_db_connections=0 server_lifetime=60
            [users]
            alice = pool_mode=session pool_size=4 max_user_connections=7 query_timeout=30
            bob = query_timeout=0 max_user_connections=0
            """);
    DatabaseEntry app = s.database("app").orElseThrow();
    PoolSettings alice = s.poolSettings(app, "alice");
    assertThat(alice.poolMode()).isEqualTo(PoolMode.SESSION);
    assertThat(alice.poolSize()).isEqualTo(4);
    assertThat(alice.reservePoolSize()).isEqualTo(2);
    assertThat(alice.minPoolSize()).isEqualTo(3);
    assertThat(alice.maxDbConnections()).as("0 in a database entry inherits").isEqualTo(50);
    assertThat(alice.maxUserConnections()).isEqualTo(7);
    assertThat(alice.queryTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(alice.serverLifetime()).isEqualTo(Duration.ofMinutes(1));

    PoolSettings bob = s.poolSettings(app, "bob");
    assertThat(bob.poolMode()).isEqualTo(PoolMode.STATEMENT);
    assertThat(bob.poolSize()).isEqualTo(10);
    assertThat(bob.queryTimeout()).as("0 for a user inherits").isEqualTo(Duration.ofSeconds(10));
    assertThat(bob.maxUserConnections()).isEqualTo(60);
  }

  @Test
  void forcedUserPicksTheUserEntry() throws Exception {
    Settings s = load("[pgbouncer]\n[databases]\nshared = host=x user=svc\n[users]\n"
        + "svc = pool_size=2\nalice = pool_size=9\n");
    PoolSettings p = s.poolSettings(s.database("shared").orElseThrow(), "alice");
    assertThat(p.user()).isEqualTo("svc");
    assertThat(p.poolSize()).isEqualTo(2);
  }
}
