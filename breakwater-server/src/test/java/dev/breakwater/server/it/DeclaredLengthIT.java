package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufAllocatorMetricProvider;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that declares a long message and sends a few bytes of it costs the pooler those few
 * bytes, not the length it declared. The server side reads a Query or Parse of up to 64 MiB whole
 * (to follow what it does to the session): before, a split one was given a buffer of its declared
 * length at its first bytes, so a client could make the pooler allocate 60 MiB with 15 bytes.
 */
class DeclaredLengthIT {

  private static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().set("auth_type", "plain").start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
  }

  private static long usedDirectMemory() {
    return ((ByteBufAllocatorMetricProvider) ByteBufAllocator.DEFAULT).metric().usedDirectMemory();
  }

  @Test
  void aClientDeclaringSixtyMebibytesAndSendingTenBytesDoesNotCostSixtyMebibytes() throws Exception {
    try (PgWire w = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN))) {
      // A first query, so that the pool has a server logged in and the next bytes go to it at once.
      w.send(PgWire.query("SELECT 1"));
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      long before = usedDirectMemory();
      int declared = 60 << 20;
      w.send(new byte[] {'Q'}, PgWire.int32(declared + 4), "SELECT 1; ".getBytes(StandardCharsets.US_ASCII));
      long most = before;
      // The bytes reach the server's side within milliseconds; watch for a second.
      long end = System.nanoTime() + 1_000_000_000L;
      while (System.nanoTime() < end) {
        most = Math.max(most, usedDirectMemory());
        Thread.sleep(5);
      }
      assertThat(most - before)
          .as("direct memory the pooler took for 15 bytes of a message declared as 60 MiB")
          .isLessThan(16L << 20);
    }
  }
}
