package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that leaves after extended-protocol messages with no Sync (a batch ended in Flush)
 * leaves its server in a state nobody knows: an implicit transaction still open, a BEGIN run, or
 * an error skipping input until a Sync. Such a server is never lent to the next client (one
 * server in the pool, so the next client would get the same one): it is closed, as PgBouncer
 * closes it ("client disconnect while server was not ready").
 */
class ClientGoneUnsyncedIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().set("auth_type", "trust").poolSize(1).threads(1).start();
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null)) {
      Sql.exec(c, "CREATE TABLE IF NOT EXISTS gone_unsynced (v int)");
      Sql.exec(c, "GRANT ALL ON gone_unsynced TO PUBLIC");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null)) {
      Sql.exec(c, "DROP TABLE IF EXISTS gone_unsynced");
    }
    pooler.close();
  }

  /** Sends Parse, Bind, Execute of {@code sql} and Flush, reads through {@code last}, and leaves. */
  private static void runUnsyncedAndLeave(String sql, char last) throws Exception {
    try (PgWire a = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      a.send(PgWire.parse(sql), PgWire.bind(), PgWire.execute(), PgWire.flush());
      PgWire.Message m;
      do {
        m = a.read();
        assertThat(m).as("a reply to " + sql).isNotNull();
      } while (m.type() != last);
    }
  }

  @Test
  void aWriteAfterAnAbandonedExtendedBeginIsKept() throws Exception {
    runUnsyncedAndLeave("BEGIN", 'C');
    try (Connection b = pooler.connect(Roles.TRUST)) {
      Sql.exec(b, "INSERT INTO gone_unsynced VALUES (17)");
    }
    try (Connection direct = pooler.postgres().connect(Roles.DATABASE, "postgres", null)) {
      assertThat(Sql.one(direct, "SELECT count(*) FROM gone_unsynced WHERE v = 17")).isEqualTo("1");
    }
  }

  @Test
  void anAbandonedImplicitTransactionIsNotCommitted() throws Exception {
    runUnsyncedAndLeave("INSERT INTO gone_unsynced VALUES (18)", 'C');
    try (Connection b = pooler.connect(Roles.TRUST)) {
      assertThat(Sql.one(b, "SELECT count(*) FROM gone_unsynced WHERE v = 18")).isEqualTo("0");
    }
    try (Connection direct = pooler.postgres().connect(Roles.DATABASE, "postgres", null)) {
      assertThat(Sql.one(direct, "SELECT count(*) FROM gone_unsynced WHERE v = 18")).isEqualTo("0");
    }
  }

  @Test
  void theNextClientIsServedAfterAnAbandonedError() throws Exception {
    runUnsyncedAndLeave("SELECT 1/0", 'E');
    try (Connection b = pooler.connect(Roles.TRUST)) {
      b.setNetworkTimeout(Runnable::run, 10_000);
      assertThat(Sql.one(b, "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void aTerminateAfterFlushIsTheSame() throws Exception {
    try (PgWire a = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      a.send(PgWire.parse("BEGIN"), PgWire.bind(), PgWire.execute(), PgWire.flush());
      assertThat(a.readUntil('C').type()).isEqualTo('C');
      a.send(PgWire.typed('X', new byte[0]));
      assertThat(a.read()).isNull();
    }
    try (PgWire b = new PgWire(pooler.port()).login(Roles.DATABASE, Roles.TRUST, "")) {
      b.send(PgWire.query("SELECT 1"));
      PgWire.Message z = b.readUntil('Z');
      assertThat(z.type()).as("no error: " + z).isEqualTo('Z');
      assertThat((char) z.body()[0]).as("the next client is not inside the first one's BEGIN").isEqualTo('I');
    }
  }
}
