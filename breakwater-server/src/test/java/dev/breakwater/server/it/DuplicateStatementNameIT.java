package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Parse of a statement name the client already uses fails as it does on PostgreSQL (42P05,
 * {@code prepared statement "x" already exists}), though Breakwater maps client names to its own
 * (transaction pooling): the server skips to Sync, a transaction block is aborted, the statement
 * first prepared under the name is kept. PgBouncer's test_prepared_disallow_name_reuse.
 */
class DuplicateStatementNameIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().set("auth_type", "trust").set("pool_mode", "transaction").poolSize(1).threads(1).start();
  }

  @AfterAll
  static void stop() throws Exception {
    pooler.close();
  }

  static byte[] parse(String name, String sql) {
    return PgWire.typed('P', PgWire.concat(PgWire.cstrings(name, sql), new byte[] {0, 0}));
  }

  static byte[] bind(String name) {
    return PgWire.typed('B', PgWire.concat(PgWire.cstrings("", name), new byte[] {0, 0, 0, 0, 0, 0}));
  }

  /** The replies up to and including ReadyForQuery. */
  static List<PgWire.Message> untilReady(PgWire w) throws Exception {
    List<PgWire.Message> out = new ArrayList<>();
    PgWire.Message m;
    do {
      m = w.read();
      assertThat(m).as("a reply").isNotNull();
      out.add(m);
    } while (m.type() != 'Z');
    return out;
  }

  static String types(List<PgWire.Message> replies) {
    StringBuilder b = new StringBuilder();
    for (PgWire.Message m : replies) {
      b.append(m.type());
    }
    return b.toString();
  }

  @Test
  void theSecondParseFailsAndTheFirstStatementStays() throws Exception {
    try (PgWire w = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      w.send(parse("test", "SELECT 1"), PgWire.sync());
      assertThat(types(untilReady(w))).isEqualTo("1Z");
      // The rest of the batch is skipped up to Sync, as PostgreSQL skips it.
      w.send(parse("test", "SELECT 2"), bind("test"), PgWire.execute(), PgWire.sync());
      List<PgWire.Message> replies = untilReady(w);
      assertThat(types(replies)).isEqualTo("EZ");
      assertThat(replies.get(0).sqlState()).isEqualTo("42P05");
      assertThat(replies.get(0).text()).isEqualTo("prepared statement \"test\" already exists");
      w.send(bind("test"), PgWire.execute(), PgWire.sync());
      List<PgWire.Message> rows = untilReady(w);
      assertThat(types(rows)).isEqualTo("2DCZ");
      assertThat(new String(rows.get(1).body(), java.nio.charset.StandardCharsets.UTF_8)).endsWith("1");
    }
  }

  @Test
  void insideATransactionBlockTheFailureAbortsIt() throws Exception {
    try (PgWire w = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      w.send(PgWire.query("BEGIN"));
      assertThat(types(untilReady(w))).isEqualTo("CZ");
      w.send(parse("again", "SELECT 1"), PgWire.sync());
      assertThat(types(untilReady(w))).isEqualTo("1Z");
      w.send(parse("again", "SELECT 1"), PgWire.sync());
      List<PgWire.Message> replies = untilReady(w);
      assertThat(types(replies)).isEqualTo("EZ");
      assertThat(replies.get(0).sqlState()).isEqualTo("42P05");
      assertThat(replies.get(1).body()[0]).as("transaction status: failed").isEqualTo((byte) 'E');
      w.send(PgWire.query("ROLLBACK"));
      List<PgWire.Message> rollback = untilReady(w);
      assertThat(types(rollback)).isEqualTo("CZ");
      assertThat(rollback.get(1).body()[0]).isEqualTo((byte) 'I');
    }
  }

  @Test
  void aNameClosedFirstCanBeParsedAgain() throws Exception {
    try (PgWire w = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      w.send(parse("reused", "SELECT 1"), PgWire.sync());
      assertThat(types(untilReady(w))).isEqualTo("1Z");
      byte[] close = PgWire.typed('C', PgWire.concat(new byte[] {'S'}, PgWire.cstrings("reused")));
      w.send(close, parse("reused", "SELECT 3"), bind("reused"), PgWire.execute(), PgWire.sync());
      List<PgWire.Message> replies = untilReady(w);
      assertThat(types(replies)).isEqualTo("312DCZ");
      assertThat(new String(replies.get(3).body(), java.nio.charset.StandardCharsets.UTF_8)).endsWith("3");
    }
  }
}
