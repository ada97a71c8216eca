package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.stats.Observer;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * log_connections, log_disconnections and log_pooler_errors are honoured and change at run time
 * with SET; log_stats writes PgBouncer's {@code stats:} line every stats_period.
 */
class ConnectionLogsIT {

  static Pooler pooler;
  static final String CONNECTION_LOG = "dev.breakwater.server.stats.ConnectionLog";

  @BeforeAll
  static void start() throws Exception {
    pooler =
        Pooler.builder()
            .set("log_connections", "0")
            .set("log_disconnections", "0")
            .set("log_pooler_errors", "0")
            .set("stats_period", "1")
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static LogCapture connectionLog() throws ClassNotFoundException {
    return new LogCapture(Class.forName(CONNECTION_LOG));
  }

  @Test
  void connectionLinesFollowTheSettings() throws Exception {
    try (LogCapture log = connectionLog()) {
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        Sql.exec(c, "SELECT 1");
      }
      Thread.sleep(200);
      assertThat(log.lines()).isEmpty();

      pooler.breakwater().control().set("log_connections", "1");
      pooler.breakwater().control().set("log_disconnections", "1");
      pooler.breakwater().control().reconnect(null);
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        Sql.exec(c, "SELECT 1");
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!log.has("closing because: client sent Terminate") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      // Every line names the connection: id, database, user and address.
      assertThat(log.lines())
          .anySatisfy(l -> assertThat(l).matches("INFO C-\\d+ bwtest/bw_plain@/127\\.0\\.0\\.1:\\d+: login ok \\(transaction pool\\)"))
          .anySatisfy(l -> assertThat(l).matches("INFO C-\\d+ bwtest/bw_plain@/127\\.0\\.0\\.1:\\d+: closing because: client sent Terminate \\(age=.+\\)"))
          .anySatisfy(l -> assertThat(l).matches("INFO S-\\d+ bw_plain@127\\.0\\.0\\.1:\\d+/bwtest: new server connection logged in \\(backend pid \\d+\\)"))
          .anySatisfy(l -> assertThat(l).matches("INFO S-\\d+ bw_plain@127\\.0\\.0\\.1:\\d+/bwtest: closing because: RECONNECT.*"));
    } finally {
      pooler.breakwater().control().set("log_connections", "0");
      pooler.breakwater().control().set("log_disconnections", "0");
    }
  }

  @Test
  void poolerErrorsFollowTheSetting() throws Exception {
    try (LogCapture log = new LogCapture(ClientConnection.class)) {
      SqlErrors.serverError(() -> pooler.connect("nosuchdb", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()).close());
      Thread.sleep(200);
      assertThat(log.lines()).noneMatch(l -> l.contains("no such database"));
      pooler.breakwater().control().set("log_pooler_errors", "1");
      SqlErrors.serverError(() -> pooler.connect("nosuchdb", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()).close());
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!log.has("no such database: nosuchdb") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN C-") && l.contains("closing because: no such database: nosuchdb"));
    } finally {
      pooler.breakwater().control().set("log_pooler_errors", "0");
    }
  }

  @Test
  void statsLineEveryPeriod() throws Exception {
    try (LogCapture log = new LogCapture(Observer.class);
        Connection c = pooler.connect(Roles.PLAIN)) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      while (!log.lines().stream().anyMatch(l -> l.matches("INFO stats: [1-9]\\d* xacts/s, .*")) && System.nanoTime() < deadline) {
        Sql.exec(c, "SELECT 1");
        Thread.sleep(20);
      }
      assertThat(log.lines())
          .anySatisfy(l -> assertThat(l).matches(
              "INFO stats: [1-9]\\d* xacts/s, \\d+ queries/s, \\d+ client parses/s, \\d+ server parses/s,"
                  + " \\d+ binds/s, in \\d+ B/s, out \\d+ B/s, xact \\d+ us, query \\d+ us, wait \\d+ us"));
    }
  }
}
