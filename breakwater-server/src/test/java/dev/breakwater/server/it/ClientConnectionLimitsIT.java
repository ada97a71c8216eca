package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * max_db_client_connections and max_user_client_connections (PgBouncer 1.24): a client over the
 * limit gets 53300 with PgBouncer's text, a client that leaves frees its place, SHOW DATABASES and
 * SHOW USERS count the clients (the admin console's own database {@code pgbouncer} too), and
 * admin_users are never refused in the console.
 */
class ClientConnectionLimitsIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler =
        Pooler.builder()
            .database("limited = dbname=" + Roles.DATABASE + " max_db_client_connections=2")
            .user(Roles.SCRAM, "max_user_client_connections=1")
            .set("admin_users", Roles.ADMIN)
            .set("stats_users", Roles.PLAIN)
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  private static Connection connect(String database, String user) throws SQLException {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    return pooler.connect(database, user, Roles.password(user), p);
  }

  private static Map<String, String> row(String view, String name) throws SQLException {
    try (Connection admin = connect("pgbouncer", Roles.ADMIN)) {
      return AdminConsoleIT.query(admin, view).where("name", name);
    }
  }

  /** Closes are seen asynchronously: waits until {@code view} counts {@code expected} clients. */
  private static void awaitClients(String view, String name, int expected) throws Exception {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (true) {
      Map<String, String> r = row(view, name);
      int n = r == null ? 0 : Integer.parseInt(r.get("current_client_connections"));
      if (n == expected || System.nanoTime() > deadline) {
        assertThat(n).as("%s current_client_connections of %s", view, name).isEqualTo(expected);
        return;
      }
      Thread.sleep(50);
    }
  }

  /**
   * A client that closes (Terminate sent) just before the next one connects leaves its place to
   * it, though the two are served on different event loops: at the limit, a login first lets the
   * loops read what they have received. PgBouncer, on one thread, reads the Terminate first; its
   * test_max_db_client_connections_global_positive opens console connections that way.
   */
  @Test
  void aClientClosedJustBeforeTheNextConnectsLeavesItsPlace() throws Exception {
    try (Connection first = connect("limited", Roles.PLAIN)) {
      for (int i = 0; i < 200; i++) {
        connect("limited", Roles.TRUST).close();
      }
    }
    awaitClients("SHOW DATABASES", "limited", 0);
    // max_user_client_connections = 1 for this user: each connection takes the last place.
    for (int i = 0; i < 100; i++) {
      connect(Roles.DATABASE, Roles.SCRAM).close();
    }
  }

  @Test
  void aDatabaseRefusesClientsOverItsLimitAndCountsDown() throws Exception {
    List<Connection> held = new ArrayList<>();
    try {
      held.add(connect("limited", Roles.PLAIN));
      held.add(connect("limited", Roles.TRUST));
      Map<String, String> db = row("SHOW DATABASES", "limited");
      assertThat(db.get("current_client_connections")).isEqualTo("2");
      assertThat(db.get("max_client_connections")).isEqualTo("2");
      for (int i = 0; i < 2; i++) {
        assertServerError(
            () -> connect("limited", Roles.PLAIN).close(),
            "53300",
            "client connections exceeded (max_db_client_connections)");
      }
      // Another database of the same server is not limited.
      try (Connection other = connect(Roles.DATABASE, Roles.PLAIN)) {
        assertThat(Sql.one(other, "SELECT 1")).isEqualTo("1");
      }
      held.remove(0).close();
      awaitClients("SHOW DATABASES", "limited", 1);
      held.add(connect("limited", Roles.PLAIN));
      assertThat(Sql.one(held.get(1), "SELECT 2")).isEqualTo("2");
    } finally {
      for (Connection c : held) {
        c.close();
      }
    }
    awaitClients("SHOW DATABASES", "limited", 0);
  }

  @Test
  void aUserRefusedOverItsLimitAndCountsDown() throws Exception {
    // A user with clients is listed as soon as its client has logged in, console or not.
    try (Connection console = connect("pgbouncer", Roles.PLAIN)) {
      assertThat(row("SHOW USERS", Roles.PLAIN).get("current_client_connections")).isEqualTo("1");
    }
    try (Connection first = connect(Roles.DATABASE, Roles.SCRAM)) {
      assertThat(row("SHOW USERS", Roles.SCRAM).get("current_client_connections")).isEqualTo("1");
      assertThat(row("SHOW USERS", Roles.SCRAM).get("max_user_client_connections")).isEqualTo("1");
      assertServerError(
          () -> connect(Roles.DATABASE, Roles.SCRAM).close(),
          "53300",
          "client connections exceeded (max_user_client_connections)");
      // The limit is per user.
      try (Connection other = connect(Roles.DATABASE, Roles.PLAIN)) {
        assertThat(Sql.one(other, "SELECT 1")).isEqualTo("1");
      }
    }
    awaitClients("SHOW USERS", Roles.SCRAM, 0);
    try (Connection again = connect(Roles.DATABASE, Roles.SCRAM)) {
      assertThat(Sql.one(again, "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void theConsoleDatabaseCountsItsClientsAndAdminsAreNeverRefused() throws Exception {
    try (Pooler p =
        Pooler.builder()
            .set("max_db_client_connections", "1")
            .set("admin_users", Roles.ADMIN)
            .set("stats_users", Roles.PLAIN)
            .start()) {
      Properties simple = new Properties();
      simple.setProperty("preferQueryMode", "simple");
      try (Connection stats = p.connect("pgbouncer", Roles.PLAIN, Roles.password(Roles.PLAIN), simple);
          Connection admin = p.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), simple)) {
        Map<String, String> db = AdminConsoleIT.query(admin, "SHOW DATABASES").where("name", "pgbouncer");
        assertThat(db).isNotNull();
        assertThat(db.get("current_client_connections")).isEqualTo("2");
        assertThat(db.get("max_client_connections")).isEqualTo("1");
        assertServerError(
            () -> p.connect("pgbouncer", Roles.PLAIN, Roles.password(Roles.PLAIN), simple).close(),
            "53300",
            "client connections exceeded (max_db_client_connections)");
        assertThat(stats.isValid(5)).isTrue();
      }
    }
  }
}
