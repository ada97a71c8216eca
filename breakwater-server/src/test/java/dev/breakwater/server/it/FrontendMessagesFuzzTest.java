package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.server.fuzz.Gen;
import dev.breakwater.testkit.LeakCheck;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The frontend messages the pooler reads after login (Parse, Bind, Describe, Close, Execute,
 * Query: its request tracking and, in transaction mode, its prepared-statement mapping), with
 * mutated bodies but right lengths, then Sync, over TCP through a running Breakwater to the real
 * PostgreSQL: each batch is answered up to a ReadyForQuery, or with an ErrorResponse and a close;
 * and the pool stays usable (a plain query right after, on the single server, succeeds).
 */
@ExtendWith(LeakCheck.class)
class FrontendMessagesFuzzTest {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler =
        Pooler.builder().set("auth_type", "trust").poolMode("transaction").poolSize(1)
            .set("max_prepared_statements", "10").start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
  }

  @Test
  void mutatedExtendedAndSimpleQueries() {
    Fuzz.check(250, batches(), batch -> {
      try (PgWire w = new PgWire(pooler.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "")) {
        List<byte[]> all = new ArrayList<>(batch);
        all.add(PgWire.sync());
        try {
          w.send(Fuzz.concat(all.toArray(new byte[0][])));
        } catch (java.net.SocketException closedBeforeAll) {
          // refused before the end of the batch: the close is read below
        }
        for (; ; ) {
          PgWire.Message m = w.read();
          if (m == null) {
            break; // closed: after an ErrorResponse (checked below when the error was fatal)
          }
          if (m.type() == 'Z') {
            break;
          }
        }
      }
      try (PgWire w = new PgWire(pooler.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "")) {
        w.send(PgWire.query("SELECT 1"));
        PgWire.Message m = w.readUntil('Z');
        assertThat(m).as("the pool still answers").isNotNull();
        assertThat(m.type()).as("the pool still answers: " + m).isEqualTo('Z');
      }
    });
  }

  /**
   * Regression (shrunk): an empty Parse, Describe or Close in transaction mode threw
   * IndexOutOfBoundsException on the server's event loop; the client never got an answer and its
   * server stayed linked. Each is now a protocol violation: an ErrorResponse, then a close.
   */
  @Test
  void emptyParseDescribeAndClose() throws Exception {
    for (char type : new char[] {'P', 'D', 'C'}) {
      try (PgWire w = new PgWire(pooler.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "")) {
        w.send(PgWire.typed(type, new byte[0]), PgWire.sync());
        PgWire.Message error = w.errorThenClose();
        assertThat(error).as("an empty " + type).isNotNull();
        assertThat(error.toString()).contains("08P01");
      }
      try (PgWire w = new PgWire(pooler.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "")) {
        w.send(PgWire.query("SELECT 1"));
        assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      }
    }
  }

  /**
   * Regression (shrunk): Query "SELECT 1" and Query "SET x = 1" (which PostgreSQL refuses: no such
   * parameter) in one write, then Sync: the next client of the same server got "unrecognized
   * configuration parameter x" for a query of its own.
   */
  @Test
  void aRefusedSetPipelinedAfterAQueryDoesNotReachTheNextClient() throws Exception {
    for (String[] batch : new String[][] {{"SET x = 1"}, {"SELECT 1", "SET x = 1"}}) {
      try (PgWire w = new PgWire(pooler.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "")) {
        List<byte[]> all = new ArrayList<>();
        for (String q : batch) {
          all.add(PgWire.query(q));
        }
        all.add(PgWire.sync());
        w.send(Fuzz.concat(all.toArray(new byte[0][])));
        for (int z = 0; z < batch.length + 1; z++) {
          assertThat(w.readUntil('Z')).isNotNull();
        }
      }
      try (PgWire w = new PgWire(pooler.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "")) {
        w.send(PgWire.query("SELECT 1"));
        PgWire.Message m = w.readUntil('Z');
        assertThat(m.type()).as(String.join("; ", batch) + ", then the next client: " + m).isEqualTo('Z');
      }
    }
  }

  static Gen<List<byte[]>> batches() {
    Gen<String> name = Gen.of("", "s1", "s2", "p1");
    Gen<String> sql = Gen.of("SELECT 1", "SELECT $1::int", "SELECT $1::text, $2::int", "BEGIN", "COMMIT", "", "SELEC", "SET x = 1");
    Gen<byte[]> parse =
        Gen.combine(name, sql, Gen.ints(0, 2), (n, s, k) -> body(cstr(n), cstr(s), short16(k), repeat(PgWire.int32(23), k)));
    Gen<byte[]> bind =
        Gen.combine(name, name, Gen.ints(0, 2), Gen.of("1", "x", ""),
            (portal, stmt, k, v) -> {
              byte[] value = v.getBytes(StandardCharsets.UTF_8);
              return body(cstr(portal), cstr(stmt), short16(0), short16(k),
                  repeat(Fuzz.concat(PgWire.int32(value.length), value), k), short16(1), short16(0));
            });
    Gen<byte[]> describe = Gen.combine(Gen.of("S", "P"), name, (t, n) -> body(cstr(t).length == 2 ? t.getBytes() : new byte[0], cstr(n)));
    Gen<byte[]> close = Gen.combine(Gen.of("S", "P"), name, (t, n) -> body(t.getBytes(), cstr(n)));
    Gen<byte[]> execute = Gen.combine(name, Gen.of(0, 1), (n, max) -> body(cstr(n), PgWire.int32(max)));
    Gen<byte[]> query = sql.map(s -> body(cstr(s)));
    Gen<byte[]> message =
        Gen.oneOf(
            Fuzz.mutated(parse).map(b -> PgWire.typed('P', b)),
            Fuzz.mutated(bind).map(b -> PgWire.typed('B', b)),
            Fuzz.mutated(describe).map(b -> PgWire.typed('D', b)),
            Fuzz.mutated(close).map(b -> PgWire.typed('C', b)),
            Fuzz.mutated(execute).map(b -> PgWire.typed('E', b)),
            Fuzz.mutated(query).map(b -> PgWire.typed('Q', b)),
            Gen.just(PgWire.flush()));
    return message.list(1, 6);
  }

  static byte[] body(byte[]... parts) {
    return Fuzz.concat(parts);
  }

  static byte[] cstr(String s) {
    return Fuzz.concat(s.getBytes(StandardCharsets.UTF_8), new byte[1]);
  }

  static byte[] short16(int v) {
    return new byte[] {(byte) (v >>> 8), (byte) v};
  }

  static byte[] repeat(byte[] b, int n) {
    List<byte[]> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(b);
    }
    return Fuzz.concat(l.toArray(new byte[0][]));
  }
}
