package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import org.junit.jupiter.api.Test;

/**
 * idle_transaction_timeout covers a client that stops after extended-protocol messages with no
 * Sync (a batch ended in Flush): what a Sync would commit is open, as in a transaction, and
 * PgBouncer counts it so. Such a client gets the idle transaction's error and is closed; the
 * server, whose state nobody knows, is closed with it, and the next client is served.
 */
class IdleUnsyncedTimeoutIT {

  @Test
  void aClientIdleAfterFlushIsTimedOut() throws Exception {
    try (Pooler pooler = Pooler.builder().set("auth_type", "trust")
        .set("idle_transaction_timeout", "0.5").poolSize(1).threads(1).start()) {
      try (PgWire a = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
        a.timeout(10_000);
        a.send(PgWire.parse("SELECT 1"), PgWire.bind(), PgWire.execute(), PgWire.flush());
        assertThat(a.readUntil('C').type()).isEqualTo('C');
        Thread.sleep(1500);
        PgWire.Message e = a.readUntil('E');
        assertThat(e).as("an error, then the close").isNotNull();
        assertThat(e.type()).isEqualTo('E');
        assertThat(e.sqlState()).isEqualTo("25P03");
        assertThat(e.text()).contains("idle transaction timeout");
        assertThat(a.read()).isNull();
      }
      try (PgWire b = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
        b.timeout(10_000);
        b.send(PgWire.query("SELECT 1"));
        PgWire.Message z = b.readUntil('Z');
        assertThat(z.type()).as("no error: " + z).isEqualTo('Z');
        assertThat((char) z.body()[0]).isEqualTo('I');
      }
    }
  }

  @Test
  void aSilentQueryAfterFlushIsNotIdle() throws Exception {
    try (Pooler pooler = Pooler.builder().set("auth_type", "trust")
        .set("idle_transaction_timeout", "0.5").poolSize(1).threads(1).start();
        PgWire a = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      a.timeout(10_000);
      // PostgreSQL answers nothing until the query is done: the client waits, it is not idle.
      a.send(PgWire.parse("SELECT pg_sleep(1.2)"), PgWire.bind(), PgWire.execute(), PgWire.flush());
      PgWire.Message c = a.readUntil('C');
      assertThat(c.type()).as("no error: " + c).isEqualTo('C');
      a.send(PgWire.sync());
      assertThat(a.readUntil('Z').type()).isEqualTo('Z');
    }
  }
}
