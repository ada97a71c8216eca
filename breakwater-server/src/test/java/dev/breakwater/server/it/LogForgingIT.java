package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.frontend.StartupHandler;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A database or user name with a line break in it cannot forge a log line: every line about a
 * client before its login (and after) shows such names escaped, on one line.
 */
class LogForgingIT {

  private static final String FORGED = "\r\n2026-12-05 12:00:00.000 ERROR forged line";
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

  private static void assertOneLineEach(List<String> lines) {
    assertThat(lines).isNotEmpty();
    assertThat(lines).noneMatch(l -> l.contains("\n") || l.contains("\r"));
    assertThat(lines).anyMatch(l -> l.contains("\\r\\n2026-12-05 12:00:00.000 ERROR forged line"));
  }

  @Test
  void anUnknownDatabaseNameIsEscaped() throws Exception {
    try (LogCapture log = new LogCapture(ClientConnection.class);
        PgWire w = new PgWire(pooler.port())) {
      w.send(PgWire.startup("user", Roles.PLAIN, "database", "nodb" + FORGED));
      // An unknown database is told only to a client that authenticated.
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.password(Roles.password(Roles.PLAIN)));
      PgWire.Message e = w.errorThenClose();
      assertThat(e.sqlState()).isEqualTo("3D000");
      assertOneLineEach(log.lines());
    }
  }

  @Test
  void anUnknownUserNameIsEscaped() throws Exception {
    try (LogCapture log = new LogCapture(ClientConnection.class);
        PgWire w = new PgWire(pooler.port())) {
      w.send(PgWire.startup("user", "nobody" + FORGED, "database", Roles.DATABASE));
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.password("x"));
      PgWire.Message e = w.errorThenClose();
      assertThat(e.sqlState()).isEqualTo("28P01");
      assertOneLineEach(log.lines());
    }
  }

  @Test
  void aBadStartupOptionIsEscaped() throws Exception {
    try (LogCapture log = new LogCapture(ClientConnection.class);
        PgWire w = new PgWire(pooler.port())) {
      w.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE, "options", "-c" + FORGED));
      PgWire.Message e = w.errorThenClose();
      assertThat(e).isNotNull();
      List<String> lines = log.lines();
      assertThat(lines).isNotEmpty().noneMatch(l -> l.contains("\n") || l.contains("\r"));
    }
  }

  @Test
  void aRefusedStartupPacketIsEscaped() throws Exception {
    try (LogCapture log = new LogCapture(StartupHandler.class);
        PgWire w = new PgWire(pooler.port())) {
      // A startup packet cut in the middle of a name: whatever the decoder says, one line.
      byte[] body = ("user\0" + Roles.PLAIN + FORGED).getBytes(java.nio.charset.StandardCharsets.UTF_8);
      w.send(PgWire.untyped(PgWire.PROTOCOL_3_0, body));
      w.errorThenClose();
      assertThat(log.lines()).noneMatch(l -> l.contains("\n") || l.contains("\r"));
    }
  }
}
