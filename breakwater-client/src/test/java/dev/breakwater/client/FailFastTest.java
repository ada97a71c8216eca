package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** An exhausted pool makes callers wait the connection timeout, no longer, and says why. */
class FailFastTest {

  @Test
  void anExhaustedPoolThrowsAfterTheConnectionTimeoutNamingPoolAndCounts() throws Exception {
    try (BreakwaterPool pool =
            Pg.builder("fail-fast").maxSize(1).connectionTimeout(Duration.ofMillis(800)).build();
        Connection held = pool.getConnection()) {
      // A second caller starts waiting first, so the one we time has company.
      CompletableFuture<Throwable> other =
          CompletableFuture.supplyAsync(
              () -> {
                try (Connection c = pool.getConnection()) {
                  return null;
                } catch (SQLException e) {
                  return e;
                }
              });
      assertThat(Pg.eventually(Duration.ofSeconds(2), () -> pool.stats().waiting() == 1)).isTrue();

      long start = System.nanoTime();
      Throwable thrown = null;
      try (Connection c = pool.getConnection()) {
        // not expected
      } catch (SQLException e) {
        thrown = e;
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);

      assertThat(thrown)
          .isInstanceOf(AcquireTimeoutException.class)
          .isInstanceOf(SQLTransientConnectionException.class);
      AcquireTimeoutException e = (AcquireTimeoutException) thrown;
      assertThat(took).isBetween(Duration.ofMillis(700), Duration.ofMillis(1800));
      assertThat(e.getMessage())
          .startsWith("pool 'fail-fast': no connection within")
          .contains("1 in use, 1 open of max 1")
          .contains("waiting")
          .contains("every connection is busy");
      assertThat(e.poolName()).isEqualTo("fail-fast");
      assertThat(e.stats().active()).isEqualTo(1);
      assertThat(e.stats().total()).isEqualTo(1);
      assertThat(e.stats().max()).isEqualTo(1);
      assertThat(e.stats().waiting()).isBetween(0, 1);
      assertThat(e.getCause()).isNull();
      assertThat(other.get(3, TimeUnit.SECONDS)).isInstanceOf(AcquireTimeoutException.class);
    }
  }

  @Test
  void theOtherCallersAreCountedInTheMessage() throws Exception {
    try (BreakwaterPool pool =
            Pg.builder("fail-fast-2").maxSize(1).connectionTimeout(Duration.ofMillis(600)).build();
        Connection held = pool.getConnection()) {
      CompletableFuture<Throwable> first = CompletableFuture.supplyAsync(() -> attempt(pool));
      assertThat(Pg.eventually(Duration.ofSeconds(2), () -> pool.stats().waiting() == 1)).isTrue();
      Thread.sleep(200);
      CompletableFuture<Throwable> second = CompletableFuture.supplyAsync(() -> attempt(pool));
      Throwable firstError = first.get(3, TimeUnit.SECONDS);
      second.get(3, TimeUnit.SECONDS);
      // When the first caller gave up the second was still waiting.
      assertThat(firstError).hasMessageContaining("1 other caller waiting");
    }
  }

  private static Throwable attempt(BreakwaterPool pool) {
    try (Connection c = pool.getConnection()) {
      return null;
    } catch (SQLException e) {
      return e;
    }
  }

  @Test
  void aClosedPoolRefusesAtOnce() {
    BreakwaterPool pool = Pg.builder("closed").build();
    pool.close();
    assertThatThrownBy(pool::getConnection)
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("closed")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08003"));
  }
}
