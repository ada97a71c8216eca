package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A pipeline whose second batch ends in Flush rather than Sync (as libpq's and psycopg's pipeline
 * mode can send): the ReadyForQuery of the first batch does not give the server back, because the
 * second batch's replies are still due to this client; the server goes back at the Sync that
 * follows, and the next client in line sees none of the first one's rows.
 */
class PipelineFlushIT {

  @Test
  void theServerStaysWithAClientThatSentMessagesAfterItsLastSync() throws Exception {
    try (Pooler pooler = Pooler.builder().set("auth_type", "trust").poolSize(1).threads(1).start();
        PgWire a = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "");
        PgWire b = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      a.send(
          PgWire.parse("SELECT 'first'"), PgWire.bind(), PgWire.execute(), PgWire.sync(),
          PgWire.parse("SELECT 'a-secret' FROM pg_sleep(0.3)"), PgWire.bind(), PgWire.execute(), PgWire.flush());
      List<PgWire.Message> first = readThrough(a, 'Z');
      assertThat(first).extracting(PgWire.Message::type).containsExactly('1', '2', 'D', 'C', 'Z');

      // b asks while a's second batch runs: it must wait for a's Sync.
      b.send(PgWire.query("SELECT 'b'"));
      List<PgWire.Message> second = readThrough(a, 'C');
      assertThat(second).extracting(PgWire.Message::type).containsExactly('1', '2', 'D', 'C');
      assertThat(text(second.get(2))).contains("a-secret");

      a.send(PgWire.sync());
      assertThat(readThrough(a, 'Z')).extracting(PgWire.Message::type).containsExactly('Z');
      List<PgWire.Message> forB = readThrough(b, 'Z');
      assertThat(forB).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      assertThat(text(forB.get(1))).contains("b").doesNotContain("a-secret");
    }
  }

  private static List<PgWire.Message> readThrough(PgWire c, char last) throws Exception {
    List<PgWire.Message> got = new ArrayList<>();
    for (; ; ) {
      PgWire.Message m = c.read();
      assertThat(m).as("a reply (got so far: " + got + ")").isNotNull();
      assertThat(m.type()).as("no error: " + m).isNotEqualTo('E');
      got.add(m);
      if (m.type() == last) {
        return got;
      }
    }
  }

  private static String text(PgWire.Message m) {
    return new String(m.body(), StandardCharsets.UTF_8);
  }
}
