package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** Exit when idle, idempotent close, the shutdown hook. */
class LifecycleTest {

  @Test
  void aProcessUsingThePoolExitsOnItsOwnAndTheHookClosesThePool() throws Exception {
    ChildJvm.Result r =
        ChildJvm.run(
            ChildJvm.testClasspath(),
            IdleExitMain.class.getName(),
            Map.of("DATABASE_URL", Pg.url(Pg.shared()), "APP_ENV", "production"),
            Duration.ofSeconds(30));
    assertThat(r.exited()).as("child JVM exited by itself; output:%n%s", r.output()).isTrue();
    assertThat(r.status()).as(r.output()).isZero();
    assertThat(r.output())
        .contains("answer 42")
        .contains("{\"status\":\"healthy\",\"pool\":{\"total\":1,\"idle\":1,\"waiting\":0}}")
        .contains("leaving main with the pool open")
        .contains("pool 'idle-exit' closed");
    // JVM start, one connection and exit: seconds, not the 30 s idle timeout.
    assertThat(r.took()).isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void everyThreadThePoolStartsIsADaemon() throws Exception {
    try (BreakwaterPool pool = Pg.builder("daemons").alerts(true).minSize(1).build()) {
      try (Connection c = pool.getConnection()) {
        assertThat(pool.health().healthy()).isTrue();
      }
      assertThat(
              Thread.getAllStackTraces().keySet().stream()
                  .filter(t -> t.getName().startsWith("breakwater-daemons") || t.getName().contains("daemons"))
                  .toList())
          .isNotEmpty()
          .allSatisfy(t -> assertThat(t.isDaemon()).as(t.getName()).isTrue());
    }
  }

  @Test
  void closeIsIdempotentAndSafeFromManyThreads() throws Exception {
    BreakwaterPool pool = Pg.builder("close-many").build();
    pool.getConnection().close();
    try (Pg.Captured log = Pg.capture(BreakwaterPool.class.getName())) {
      CountDownLatch go = new CountDownLatch(1);
      CompletableFuture<?>[] closers = new CompletableFuture<?>[8];
      for (int i = 0; i < closers.length; i++) {
        closers[i] =
            CompletableFuture.runAsync(
                () -> {
                  try {
                    go.await();
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                  }
                  pool.close();
                });
      }
      go.countDown();
      CompletableFuture.allOf(closers).get();
      pool.close();
      assertThat(pool.isClosed()).isTrue();
      assertThat(log.events().stream().filter(e -> e.getFormattedMessage().equals("pool 'close-many' closed")))
          .hasSize(1);
    }
  }

  @Test
  void theShutdownHookIsRegisteredAndRemovable() {
    BreakwaterPool pool =
        BreakwaterPool.builder().environment(Map.of()).url(Pg.url(Pg.shared())).name("hooked").alerts(false).build();
    assertThat(pool.removeShutdownHook()).isTrue();
    assertThat(pool.removeShutdownHook()).isFalse();
    pool.close();

    BreakwaterPool other =
        BreakwaterPool.builder().environment(Map.of()).url(Pg.url(Pg.shared())).name("hooked-2").alerts(false).build();
    other.close();
    // close() took the hook away with it.
    assertThat(other.removeShutdownHook()).isFalse();
  }

  @Test
  void warmUpOpensAConnectionAndGivesItBack() throws Exception {
    try (BreakwaterPool pool = Pg.builder("warm").build()) {
      assertThat(pool.stats().total()).isZero();
      pool.warmUp();
      assertThat(pool.stats().total()).isEqualTo(1);
      assertThat(pool.stats().idle()).isEqualTo(1);
    }
  }
}
