package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.ClientMemory;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * All clients together hold at most ClientMemory's budget (a quarter of the JVM's memory by
 * default; 256 KiB here): a split message, or bytes kept while a client waits for a server, past
 * it drop that client with 54000 and a log line. Before, each client had its own bounds only, so
 * many clients could add up to any amount. What a client sends while its login waits is held by the
 * login within the budget too: past it the client is no longer read until the login ends.
 */
class ClientMemoryIT {

  private static final long LIMIT = 256 << 10;
  private static Pooler pooler;
  private long saved;
  /** What other tests' clients in this JVM hold (none, unless one is still closing). */
  private static long baseline;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(1).set("auth_type", "plain").start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
  }

  @BeforeEach
  void lower() {
    saved = ClientMemory.GLOBAL.limit();
    baseline = ClientMemory.GLOBAL.used();
    ClientMemory.GLOBAL.limit(LIMIT + baseline);
  }

  @AfterEach
  void restore() {
    ClientMemory.GLOBAL.limit(saved);
  }

  /** A Query of {@code declared} bytes' text of which {@code sent} are sent. */
  private static byte[] partialQuery(int declared, int sent) {
    byte[] text = new byte[sent];
    Arrays.fill(text, (byte) ' ');
    byte[] head = "SELECT 1 --".getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(head, 0, text, 0, head.length);
    return PgWire.concat(new byte[] {'Q'}, PgWire.int32(declared + 4), text);
  }

  private static void assertDroppedForMemory(PgWire w) throws Exception {
    PgWire.Message error = w.errorThenClose();
    assertThat(error).as("an error, then the close").isNotNull();
    assertThat(error.sqlState()).isEqualTo("54000");
    assertThat(error.text()).contains("out of memory").contains(String.valueOf(LIMIT + baseline));
  }

  /**
   * Sends {@code bytes}, which take the client past the budget: the pooler may drop it before the
   * last of them are written, and its close (with bytes still unread) resets the connection, which
   * the write can then see. The error it sent first is still there to read.
   */
  private static void sendUntilDropped(PgWire w, byte[] bytes) throws Exception {
    try {
      w.send(bytes);
    } catch (java.net.SocketException e) {
      assertThat(e.getMessage()).containsAnyOf("reset", "Broken pipe");
    }
  }

  private static void awaitNothingHeld() throws Exception {
    long end = System.nanoTime() + 5_000_000_000L;
    while (ClientMemory.GLOBAL.used() > baseline && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(ClientMemory.GLOBAL.used()).as("all given back").isLessThanOrEqualTo(baseline);
  }

  @Test
  void aSplitMessagePastTheBudgetDropsItsClient() throws Exception {
    try (LogCapture log = new LogCapture(dev.breakwater.server.backend.ServerConnection.class);
        PgWire w = new PgWire(pooler.port()).timeout(10_000)) {
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      w.send(PgWire.query("SELECT 1"));
      assertThat(w.readUntil('Z').type()).isEqualTo('Z');
      // 400 KB of a 1 MB Query: the server's side reads a Query whole (up to 64 MiB a client).
      sendUntilDropped(w, partialQuery(1 << 20, 400 << 10));
      assertDroppedForMemory(w);
      assertThat(log.has("out of memory")).isTrue();
    }
    awaitNothingHeld();
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(c.createStatement().execute("SELECT 1")).isTrue();
    }
  }

  @Test
  void bytesKeptWhileWaitingForAServerPastTheBudgetDropTheirClient() throws Exception {
    try (LogCapture log = new LogCapture(ClientConnection.class);
        Connection holder = pooler.connect(Roles.PLAIN);
        PgWire w = new PgWire(pooler.port()).timeout(10_000)) {
      // The only server is held in a transaction: the next client waits, its bytes kept.
      holder.setAutoCommit(false);
      holder.createStatement().execute("SELECT 1");
      w.login(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN));
      sendUntilDropped(w, partialQuery(600 << 10, 600 << 10));
      assertDroppedForMemory(w);
      assertThat(log.has("bytes for clients, its limit")).isTrue();
      holder.rollback();
    }
    awaitNothingHeld();
  }

  @Test
  void bytesSentWhileTheLoginWaitsPauseTheClientAtTheBudget() throws Exception {
    // A database whose server accepts and never answers: the login waits for its parameters.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        Pooler p =
            Pooler.builder()
                .set("auth_type", "plain")
                .database("silent = dbname=bwtest port=" + silent.getLocalPort())
                .start();
        PgWire w = new PgWire(p.port()).timeout(10_000)) {
      w.send(PgWire.startup("user", Roles.PLAIN, "database", "silent"));
      assertThat(w.read().type()).isEqualTo('R');
      w.send(PgWire.password(Roles.password(Roles.PLAIN)));
      // 2 MB of a query sent before the login ends: held by the login, which stops reading the
      // client at the budget (256 KiB here) rather than dropping it.
      Thread sender = new Thread(() -> {
        try {
          w.send(partialQuery(4 << 20, 2 << 20));
        } catch (java.io.IOException e) {
          // closed at the end of the test
        }
      });
      sender.setDaemon(true);
      sender.start();
      Thread.sleep(1000);
      assertThat(ClientMemory.GLOBAL.used()).as("held within the budget").isLessThanOrEqualTo(LIMIT + baseline);
      assertThat(ClientMemory.GLOBAL.used()).as("some held").isGreaterThan(baseline);
      assertThat(p.breakwater().frontend().clientCount()).as("not dropped").isEqualTo(1);
    }
    awaitNothingHeld();
  }
}
