package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * COPY FROM STDIN over the extended protocol, as libpq sends it (PQexecParams, pipeline mode):
 * Parse, Bind, Execute and Sync together, then the data, CopyDone and another Sync. PostgreSQL
 * skips the first Sync (it comes in copy-in mode) and sends one ReadyForQuery for the two. Found in
 * review: the pooler, counting one due per Sync, kept the server linked to that client for good
 * in transaction pooling, and the next client waited until query_wait_timeout. Against the real
 * PostgreSQL, with a pool of one server, with and without prepared-statement mapping.
 */
class ExtendedCopyIT {

  @ParameterizedTest
  @ValueSource(strings = {"0", "10"})
  void theServerIsReleasedAfterAnExtendedCopyIn(String maxPreparedStatements) throws Exception {
    copyThenNextClient(maxPreparedStatements, "ok");
  }

  /** The copy fails on its data: PostgreSQL answers the Sync after the CopyDone, as usual. */
  @ParameterizedTest
  @ValueSource(strings = {"bad data", "CopyFail"})
  void theServerIsReleasedAfterAFailedExtendedCopyIn(String failure) throws Exception {
    copyThenNextClient("0", failure);
  }

  private static void copyThenNextClient(String maxPreparedStatements, String how) throws Exception {
    try (Pooler p = Pooler.builder().set("auth_type", "trust").poolSize(1).set("query_wait_timeout", "3")
            .set("max_prepared_statements", maxPreparedStatements).start();
        PgWire a = new PgWire(p.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "");
        PgWire b = new PgWire(p.port()).timeout(5_000).login(Roles.DATABASE, Roles.TRUST, "")) {
      a.send(PgWire.query("BEGIN; CREATE TEMP TABLE extended_copy(i int) ON COMMIT DROP"));
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
      a.send(PgWire.parse("COPY extended_copy(i) FROM STDIN"), PgWire.bind(), PgWire.execute(), PgWire.sync());
      assertThat(a.readUntil('G').type()).as("CopyInResponse").isEqualTo('G');
      if (!how.equals("ok")) {
        a.send(how.equals("bad data")
                ? PgWire.typed('d', "x\n".getBytes(StandardCharsets.US_ASCII))
                : PgWire.typed('f', PgWire.cstrings("given up")),
            PgWire.typed('c', new byte[0]), PgWire.sync());
        assertThat(a.readUntil('Z')).as("the copy's error").extracting(PgWire.Message::type).isEqualTo('E');
        assertThat(a.readUntil('Z').type()).isEqualTo('Z');
        endThenServerFree(a, "ROLLBACK", b);
        return;
      }
      a.send(PgWire.typed('d', "1\n2\n".getBytes(StandardCharsets.US_ASCII)), PgWire.typed('c', new byte[0]), PgWire.sync());
      PgWire.Message done = a.readUntil('C');
      assertThat(done.type()).isEqualTo('C');
      assertThat(new String(done.body(), StandardCharsets.US_ASCII)).startsWith("COPY 2");
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
      // The same client goes on: a prepared query of its own, then the end of its transaction.
      a.send(PgWire.typed('P', PgWire.concat(PgWire.cstrings("s1", "SELECT count(*) FROM extended_copy"), new byte[] {0, 0})),
          PgWire.typed('B', PgWire.concat(PgWire.cstrings("", "s1"), new byte[] {0, 0, 0, 0, 0, 0})),
          PgWire.execute(), PgWire.sync());
      PgWire.Message row = a.readUntil('D');
      assertThat(row.type()).isEqualTo('D');
      assertThat(new String(row.body(), StandardCharsets.US_ASCII)).endsWith("2");
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
      endThenServerFree(a, "COMMIT", b);
      // And a can still use it after b.
      a.send(PgWire.query("SELECT 'a again'"));
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
    }
  }

  /** {@code a} ends its transaction with {@code end}; then the pool's one server is free for {@code b}. */
  private static void endThenServerFree(PgWire a, String end, PgWire b) throws Exception {
    a.send(PgWire.query(end));
    assertThat(a.readUntil('Z').type()).isEqualTo('Z');
    b.send(PgWire.query("SELECT 'b'"));
    PgWire.Message answer = b.readUntil('Z');
    assertThat(answer.type()).as("b's answer: " + answer).isEqualTo('Z');
  }
}
