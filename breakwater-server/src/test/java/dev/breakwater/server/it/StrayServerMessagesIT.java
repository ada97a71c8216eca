package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A server that speaks after the ReadyForQuery that released it, in the same read or while it waits
 * in the pool: what it says is nobody's, so no later client may see it. PostgreSQL does not do this
 * on demand, so the server here is a scripted peer: it logs anyone in and answers each simple query
 * with one row, and two queries make it speak out of turn.
 */
class StrayServerMessagesIT {

  /** Answered, then followed in the same write by a NoticeResponse and a ParameterStatus. */
  private static final String STRAY_IN_SAME_READ = "SELECT 'stray in the same read'";
  /** Answered, then followed 200 ms later (the server back in the pool) by a NoticeResponse. */
  private static final String STRAY_WHILE_IDLE = "SELECT 'stray while idle'";

  private ScriptedPostgres server;
  private Pooler pooler;

  @BeforeEach
  void start() throws Exception {
    server = new ScriptedPostgres(StrayServerMessagesIT::answer);
    pooler =
        Pooler.builder()
            .set("auth_type", "trust")
            .set("server_tls_sslmode", "disable")
            .poolSize(1)
            .threads(1)
            .database("scripted = dbname=scripted port=" + server.port())
            .start();
  }

  @AfterEach
  void stop() throws IOException {
    pooler.close();
    server.close();
  }

  @Test
  void messagesAfterTheReleasingReadyForQueryInTheSameReadReachNoClient() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      try (PgWire a = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        List<PgWire.Message> replies = query(a, STRAY_IN_SAME_READ);
        assertThat(replies).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      }
      try (PgWire b = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        List<PgWire.Message> replies = query(b, "SELECT 'b'");
        assertThat(replies).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
        assertThat(new String(replies.get(1).body(), StandardCharsets.UTF_8)).contains("SELECT 'b'");
      }
      assertThat(server.logins()).as("both clients had the one server").isEqualTo(1);
      assertThat(log.lines())
          .anyMatch(l -> l.startsWith("WARN") && l.contains("sent 1 message(s) with no client linked, the first 'N': dropped"))
          .anyMatch(l -> l.startsWith("WARN") && l.contains("application_name = stray") && l.contains("dropped"));
    }
  }

  @Test
  void aNoticeFromAServerWaitingInThePoolReachesNoClient() throws Exception {
    try (LogCapture log = new LogCapture(ServerConnection.class)) {
      try (PgWire a = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        assertThat(query(a, STRAY_WHILE_IDLE)).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!log.has("the first 'N': dropped") && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertThat(log.has("the first 'N': dropped")).as("the notice was read and dropped").isTrue();
        // The client that last had the server hears nothing either.
        assertThat(query(a, "SELECT 'a again'")).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      }
      try (PgWire b = new PgWire(pooler.port()).login("scripted", Roles.TRUST, "")) {
        assertThat(query(b, "SELECT 'b'")).extracting(PgWire.Message::type).containsExactly('T', 'D', 'C', 'Z');
      }
      assertThat(server.logins()).isEqualTo(1);
    }
  }

  /** Sends a simple query and returns every message up to and including its ReadyForQuery. */
  private static List<PgWire.Message> query(PgWire c, String sql) throws IOException {
    c.send(PgWire.query(sql));
    List<PgWire.Message> replies = new ArrayList<>();
    for (; ; ) {
      PgWire.Message m = c.read();
      assertThat(m).as("a reply to " + sql).isNotNull();
      replies.add(m);
      if (m.type() == 'Z') {
        return replies;
      }
    }
  }

  /** The scripted server's answers: the default, with stray messages after or later for two queries. */
  private static boolean answer(String sql, List<byte[]> usual, OutputStream out) throws IOException, InterruptedException {
    if (sql.equals(STRAY_IN_SAME_READ)) {
      ByteArrayOutputStream reply = new ByteArrayOutputStream();
      usual.forEach(reply::writeBytes);
      ScriptedPostgres.message(reply, 'N', ScriptedPostgres.notice("meant for nobody"));
      ScriptedPostgres.message(reply, 'S', ScriptedPostgres.cstrings("application_name", "stray"));
      out.write(reply.toByteArray());
      out.flush();
      return true;
    }
    if (sql.equals(STRAY_WHILE_IDLE)) {
      for (byte[] m : usual) {
        out.write(m);
      }
      out.flush();
      Thread.sleep(200);
      ByteArrayOutputStream late = new ByteArrayOutputStream();
      ScriptedPostgres.message(late, 'N', ScriptedPostgres.notice("late, and meant for nobody"));
      out.write(late.toByteArray());
      out.flush();
      return true;
    }
    return false;
  }
}
