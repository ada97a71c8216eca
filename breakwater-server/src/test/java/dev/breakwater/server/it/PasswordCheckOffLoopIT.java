package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.protocol.auth.ScramSecret;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A cleartext password checked against a SCRAM verifier costs a PBKDF2, which runs off the event
 * loops: logins with wrong passwords for a user whose verifier has a high iteration count do not
 * hold up the other clients of the loop. And nothing of a wrong password is cached: the SCRAM
 * cache keeps the keys of a password only once they matched the verifier.
 */
class PasswordCheckOffLoopIT {

  private static final String SLOW = "bw_slow_scram";
  /** More than a second of PBKDF2 per check (0.3 s per 1.5 million here). */
  private static final int ITERATIONS = 6_000_000;

  @Test
  void wrongPasswordsAreCheckedOffTheLoopAndNotCached() throws Exception {
    String verifier = ScramSecret.fromPassword("slow_pw", new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, ITERATIONS).format();
    try (Pooler p =
        Pooler.builder()
            .threads(1)
            .set("auth_type", "plain")
            .database("forced = dbname=" + Roles.DATABASE + " user=" + Roles.TRUST)
            .secret(SLOW, verifier)
            .start()) {
      int cachedBefore = p.breakwater().frontend().scramCache().size();
      List<CompletableFuture<Void>> wrong = new ArrayList<>();
      // Threads of their own: the common pool may have a single one.
      java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(3);
      for (int i = 0; i < 3; i++) {
        wrong.add(
            CompletableFuture.runAsync(
                () ->
                    assertThatThrownBy(() -> p.connect("forced", SLOW, "wrong_pw", new Properties()))
                        .isInstanceOf(SQLException.class)
                        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01")),
                clients));
      }
      Thread.sleep(300); // the three checks are under way
      long t0 = System.nanoTime();
      try (Connection c = p.connect("forced", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties())) {
        assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(ms).as("another client of the same loop logs in while the checks run").isLessThan(1500);
      CompletableFuture.allOf(wrong.toArray(CompletableFuture[]::new)).get();
      clients.shutdown();
      assertThat(p.breakwater().frontend().scramCache().size())
          .as("nothing cached for wrong passwords")
          .isEqualTo(cachedBefore);

      // The right password: checked once (a PBKDF2), then from the cache.
      try (Connection c = p.connect("forced", SLOW, "slow_pw", new Properties())) {
        assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(Roles.TRUST);
      }
      assertThat(p.breakwater().frontend().scramCache().size()).isEqualTo(cachedBefore + 1);
      long t1 = System.nanoTime();
      try (Connection c = p.connect("forced", SLOW, "slow_pw", new Properties())) {
        assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      }
      assertThat((System.nanoTime() - t1) / 1_000_000).as("the second login uses the cache").isLessThan(500);
    }
  }
}
