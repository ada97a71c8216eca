package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * What a client sends before its login is over (the password before it is asked, a query with
 * it, as Neon's driver does) waits for the login, held by it while the pool's first server logs
 * in, and reaches the session in order once the login hands over (ClientLogin). A password
 * message split across reads is read whole.
 */
class PipelinedLoginIT {

  @Test
  void aQuerySentWithThePasswordIsAnsweredAfterTheLogin() throws Exception {
    // A new pooler: no server has logged in, so the login waits for one to learn its parameters.
    try (Pooler pooler = Pooler.builder().set("auth_type", "plain").start();
        PgWire w = new PgWire(pooler.port()).timeout(10_000)) {
      w.send(
          PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE),
          PgWire.password(Roles.password(Roles.PLAIN)),
          PgWire.query("SELECT 41 + 1"),
          PgWire.query("SELECT 'after'"));
      PgWire.Message asked = w.read();
      assertThat(asked.type()).isEqualTo('R');
      assertThat(asked.int32(0)).as("asked for a cleartext password").isEqualTo(3);
      PgWire.Message ok = w.read();
      assertThat(ok.type()).isEqualTo('R');
      assertThat(ok.int32(0)).as("AuthenticationOk").isZero();
      assertThat(w.readUntil('Z').type()).as("the login ends").isEqualTo('Z');
      assertThat(text(w.readUntil('D'))).isEqualTo("42");
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      assertThat(text(w.readUntil('D'))).isEqualTo("after");
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
    }
  }

  @Test
  void aTerminateSentWithThePasswordEndsTheConnectionAfterTheLogin() throws Exception {
    try (Pooler pooler = Pooler.builder().set("auth_type", "plain").start();
        PgWire w = new PgWire(pooler.port()).timeout(10_000)) {
      w.send(
          PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE),
          PgWire.password(Roles.password(Roles.PLAIN)),
          PgWire.typed('X', new byte[0]));
      // The login's answers (it ends before the Terminate is read), then the close.
      PgWire.Message m;
      while ((m = w.read()) != null) {
        assertThat(m.type()).as("no error: %s", m).isNotEqualTo('E');
      }
      long end = System.nanoTime() + 5_000_000_000L;
      while (pooler.breakwater().frontend().clientCount() > 0 && System.nanoTime() < end) {
        Thread.sleep(20);
      }
      assertThat(pooler.breakwater().frontend().clientCount()).isZero();
    }
  }

  @Test
  void aPasswordSplitAcrossReadsIsReadWhole() throws Exception {
    try (Pooler pooler = Pooler.builder().set("auth_type", "plain").start();
        PgWire w = new PgWire(pooler.port()).timeout(10_000)) {
      w.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE));
      assertThat(w.read().type()).isEqualTo('R');
      byte[] password = PgWire.password(Roles.password(Roles.PLAIN));
      // Its header cut in two, then the rest: three reads on the pooler's side.
      w.send(java.util.Arrays.copyOfRange(password, 0, 3));
      Thread.sleep(100);
      w.send(java.util.Arrays.copyOfRange(password, 3, 7));
      Thread.sleep(100);
      w.send(java.util.Arrays.copyOfRange(password, 7, password.length));
      PgWire.Message ok = w.read();
      assertThat(ok.type()).as("%s", ok).isEqualTo('R');
      assertThat(ok.int32(0)).as("AuthenticationOk").isZero();
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
    }
  }

  /** The one column of a DataRow, as text. */
  private static String text(PgWire.Message row) {
    assertThat(row.type()).as("a row: %s", row).isEqualTo('D');
    int length = row.int32(2);
    return new String(row.body(), 6, length, StandardCharsets.UTF_8);
  }
}
