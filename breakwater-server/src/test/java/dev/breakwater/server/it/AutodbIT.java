package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.PoolKey;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pools of databases made from the {@code *} entry are freed after autodb_idle_timeout with no
 * client and no server, their meters too, as PgBouncer frees such databases; pools of databases
 * the file names stay. With auth_query and no auth_dbname, the lookup for a client of a database
 * name nobody logged in to leaves no pool and no meters behind, and expired auth_query answers
 * are evicted.
 */
class AutodbIT {

  private static final String FOUND = "bw_autodb_q";

  @BeforeAll
  static void role() {
    TestPostgres.shared()
        .execute(
            "DROP ROLE IF EXISTS " + FOUND,
            "SET password_encryption = 'scram-sha-256'",
            "CREATE ROLE " + FOUND + " LOGIN PASSWORD 'found_pw'");
  }

  @AfterAll
  static void dropRole() {
    TestPostgres.shared().execute("DROP ROLE IF EXISTS " + FOUND);
  }

  private static void await(String what, BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + 15_000_000_000L;
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(100);
    }
  }

  private static boolean hasPool(Pooler p, String database) {
    return p.breakwater().pools().all().stream().anyMatch(x -> x.key().database().equals(database));
  }

  private static String scrape(Pooler p) {
    return p.breakwater().observer().metrics().scrape(p.breakwater().pools().all());
  }

  private static boolean hasMeters(Pooler p, String database) {
    // Not through scrape(), which registers the meters of the pools there are.
    return p.breakwater().observer().metrics().registryMeters().stream()
        .anyMatch(m -> database.equals(m.getId().getTag("database")));
  }

  @Test
  void unusedPoolsOfTheStarEntryAreFreedWithTheirMeters() throws Exception {
    try (Pooler p =
        Pooler.builder()
            .database("* = dbname=" + Roles.DATABASE)
            .set("autodb_idle_timeout", "1")
            .set("server_idle_timeout", "1")
            .start()) {
      try (Connection c = p.connect("bw_auto_a", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties())) {
        assertThat(Sql.one(c, "SELECT current_database()")).isEqualTo(Roles.DATABASE);
      }
      try (Connection c = p.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties())) {
        Sql.one(c, "SELECT 1");
      }
      Pool first = p.breakwater().pools().find(new PoolKey("bw_auto_a", Roles.PLAIN));
      assertThat(first).isNotNull();
      assertThat(scrape(p)).contains("database=\"bw_auto_a\"");
      try (Connection held = p.connect("bw_auto_b", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties())) {
        Sql.one(held, "SELECT 1");
        await("the unused pool of bw_auto_a is freed", () -> !hasPool(p, "bw_auto_a"));
        await("its meters are gone", () -> !hasMeters(p, "bw_auto_a"));
        assertThat(first.isRetired()).isTrue();
        Thread.sleep(2500);
        assertThat(hasPool(p, "bw_auto_b")).as("a pool with a client stays").isTrue();
        assertThat(hasPool(p, Roles.DATABASE)).as("a pool of a database the file names stays").isTrue();
        assertThat(Sql.one(held, "SELECT 2")).isEqualTo("2");
      }
      // The name can be used again: a new pool, with its own meters.
      try (Connection c = p.connect("bw_auto_a", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties())) {
        assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(Roles.PLAIN);
      }
      Pool second = p.breakwater().pools().find(new PoolKey("bw_auto_a", Roles.PLAIN));
      assertThat(second).isNotNull().isNotSameAs(first);
      assertThat(scrape(p)).contains("database=\"bw_auto_a\"");
    }
  }

  @Test
  void authQueryLookupsForUnknownDatabasesLeaveNoPoolAndExpiredAnswersGo() throws Exception {
    try (Pooler p =
        Pooler.builder()
            .database("* = dbname=" + Roles.DATABASE)
            .set("auth_user", Roles.ADMIN)
            .set("auth_query", "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = $1")
            .set("auth_cache_ttl", "3")
            // Not for a pool opened only for a lookup, which would otherwise stay.
            .set("min_pool_size", "1")
            .start()) {
      for (int i = 0; i < 10; i++) {
        String db = "bw_nope_" + i;
        String nobody = "bw_nobody_" + i;
        assertThatThrownBy(() -> p.connect(db, nobody, "x", new Properties()))
            .isInstanceOf(SQLException.class)
            .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
      }
      assertThat(p.breakwater().frontend().authQuery().cachedAnswers()).isPositive();
      // A user the query finds logs in to a database of the * entry: its pool is made then.
      try (Connection c = p.connect("bw_auto_q", FOUND, "found_pw", new Properties())) {
        assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(FOUND);
        await(
            "the pools opened for lookups are gone",
            () -> p.breakwater().pools().all().stream()
                .noneMatch(x -> x.key().database().startsWith("bw_nope_")
                    || x.key().user().equals(Roles.ADMIN)));
        assertThat(hasPool(p, "bw_auto_q")).isTrue();
        assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      }
      assertThat(p.breakwater().pools().countedNames())
          .as("server counts of the freed pools' names")
          .noneMatch(n -> n.startsWith("bw_nope_"));
      await("no meters of the lookups' pools",
          () -> scrape(p).lines().noneMatch(l -> l.contains("database=\"bw_nope_")));
      await("expired auth_query answers are evicted",
          () -> p.breakwater().frontend().authQuery().cachedAnswers() == 0);
    }
  }
}
