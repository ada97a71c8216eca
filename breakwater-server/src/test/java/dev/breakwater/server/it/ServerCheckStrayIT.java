package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.testkit.LeakCheck;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What a server says after the ReadyForQuery of server_check_query, in the same read. The check
 * passed there, and the client it was for used to be linked at once: a whole message after it was
 * dropped (the read had no client when it started), but the start of one was dropped and its rest,
 * in the next read, went to that client as the start of its answer. The client is linked once the
 * read is done now, and a server left in the middle of a message is closed, its client given
 * another server. A scripted server (pool of one, transaction pooling, server_check_delay 0, so
 * every lend of a used server is checked) answers the check with its usual reply and what the test
 * puts after it.
 */
@ExtendWith(LeakCheck.class)
class ServerCheckStrayIT {

  private static final String CHECK = "SELECT 'check'";

  static ScriptedPostgres server;
  static Pooler pooler;
  /** Written right after the check's answer, in the same write; then, 100 ms later, {@link #later}. */
  static volatile byte[] after = new byte[0];
  static volatile byte[] later = new byte[0];

  @BeforeAll
  static void start() throws Exception {
    server = new ScriptedPostgres(ServerCheckStrayIT::answer);
    pooler =
        Pooler.builder().set("auth_type", "trust").set("server_tls_sslmode", "disable").poolSize(1)
            .set("server_check_query", CHECK).set("server_check_delay", "0")
            .database("tx = dbname=scripted port=" + server.port() + " pool_mode=transaction")
            .start();
  }

  @AfterAll
  static void stop() throws IOException {
    if (pooler != null) {
      pooler.close();
    }
    if (server != null) {
      server.close();
    }
  }

  private static boolean answer(String sql, List<byte[]> usual, OutputStream out) throws IOException, InterruptedException {
    if (!sql.equals(CHECK)) {
      return false;
    }
    out.write(Fuzz.concat(ScriptedPostgres.concat(usual), after));
    out.flush();
    if (later.length > 0) {
      Thread.sleep(100);
      out.write(later);
      out.flush();
    }
    return true;
  }

  @Test
  void aMessageAfterTheCheckDoesNotReachTheClient() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      assertOwnAnswer("first"); // the server is used now: checked before its next lend
      after = Fuzz.concat(
          PgWire.typed('D', Fuzz.concat(new byte[] {0, 1}, Fuzz.int32(5), "stray".getBytes(StandardCharsets.UTF_8))),
          PgWire.typed('C', ScriptedPostgres.cstrings("SELECT 1")));
      assertOwnAnswer("checked");
      assertThat(log.lines()).anyMatch(l -> l.contains("with no client linked, the first 'D'"));
    } finally {
      after = new byte[0];
    }
  }

  @Test
  void aServerInTheMiddleOfAMessageAfterTheCheckIsClosed() throws Exception {
    byte[] notice = PgWire.typed('N', ScriptedPostgres.notice("after the check"));
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      assertOwnAnswer("first");
      after = Arrays.copyOf(notice, 12);
      later = Arrays.copyOfRange(notice, 12, notice.length);
      // Checked, then closed in the middle of the notice: the client is given a new server.
      assertOwnAnswer("checked");
      assertThat(log.lines()).anyMatch(l -> l.contains("was in the middle of a message"));
      after = new byte[0];
      later = new byte[0];
      assertOwnAnswer("after");
    } finally {
      after = new byte[0];
      later = new byte[0];
    }
  }

  /** A client of its own logs in, asks, and gets exactly its own answer. */
  private static void assertOwnAnswer(String text) throws IOException {
    try (PgWire w = new PgWire(pooler.port()).timeout(3_000).login("tx", Roles.TRUST, "")) {
      String sql = "SELECT '" + text + "'";
      w.send(PgWire.query(sql));
      List<PgWire.Message> got = new ArrayList<>();
      for (PgWire.Message m = w.read(); m != null; m = m.type() == 'Z' ? null : w.read()) {
        got.add(m);
      }
      assertThat(got).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      assertThat(new String(got.get(1).body(), StandardCharsets.UTF_8)).contains(sql);
    }
  }
}
