package dev.breakwater.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.frontend.StartupHandler;
import dev.breakwater.server.it.Pooler;
import dev.breakwater.testkit.LeakCheck;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A connection's first bytes, through the real StartupHandler (and the ClientLogin it hands
 * over to, with its password and SASL reading) of a running Breakwater, on Netty's EmbeddedChannel:
 * whatever comes, in whatever reads, the pooler answers (an ErrorResponse, 'S'/'N', an
 * authentication request) or closes; no exception reaches the end of the pipeline, and no buffer
 * leaks (leak detection is paranoid in tests).
 */
@ExtendWith(LeakCheck.class)
class StartupHandlerFuzzTest {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
  }

  /** What the pooler did with {@code stream} cut at {@code cuts}: its replies' first bytes, and whether it closed. */
  static String feed(byte[] stream, List<Integer> cuts) {
    EmbeddedChannel ch = new EmbeddedChannel(new StartupHandler(pooler.breakwater().frontend()));
    List<Integer> at = new ArrayList<>();
    for (int c : cuts) {
      at.add(stream.length == 0 ? 0 : Math.floorMod(c, stream.length));
    }
    at.add(stream.length);
    at.sort(null);
    StringBuilder replies = new StringBuilder();
    try {
      int from = 0;
      for (int to : at) {
        if (to <= from || !ch.isOpen()) {
          continue;
        }
        ch.writeInbound(Unpooled.copiedBuffer(stream, from, to - from));
        ch.runPendingTasks();
        from = to;
        // Nothing may reach the end of the pipeline: this rethrows what did.
        ch.checkException();
      }
      for (Object o; (o = ch.readOutbound()) != null; ) {
        ByteBuf b = (ByteBuf) o;
        if (b.isReadable()) {
          replies.append((char) b.getByte(b.readerIndex()));
        }
        b.release();
      }
      return replies + (ch.isOpen() ? "" : "|closed");
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  /** Returns what was answered (the replies' types, "|closed" if closed). */
  static String check(byte[] stream, List<Integer> cuts) {
    return check(stream, cuts, -1);
  }

  /**
   * As {@link #check(byte[], List)}, for a stream whose login messages start at {@code login}: a
   * client that sent a Terminate there may be closed without an ErrorResponse, as PgBouncer does.
   */
  static String check(byte[] stream, List<Integer> cuts, int login) {
    String r = feed(stream, cuts);
    // A closed connection was told why: its last reply is an ErrorResponse (a CancelRequest gets none).
    if (r.endsWith("|closed") && !r.equals("|closed") && !(login >= 0 && terminates(stream, login))) {
      assertThat(r).endsWith("E|closed");
    }
    return r;
  }

  /** Whether the messages from {@code at} on hold a Terminate ('X') before they end or break off. */
  static boolean terminates(byte[] stream, int at) {
    int i = at;
    while (i + 5 <= stream.length) {
      int length = java.nio.ByteBuffer.wrap(stream, i + 1, 4).getInt();
      if (stream[i] == 'X') {
        return true;
      }
      if (length < 4) {
        return false;
      }
      i += 1 + length;
    }
    return false;
  }

  @Test
  void arbitraryFirstBytes() {
    Fuzz.check(1000, Gen.bytes(80), cuts(), StartupHandlerFuzzTest::check);
  }

  @Test
  void mutatedStartupPackets() {
    Fuzz.check(1000, StartupPacketFuzzTest.mutatedPackets(), cuts(), StartupHandlerFuzzTest::check);
  }

  /**
   * A valid StartupMessage for a SCRAM, an MD5 or an unknown user, then mutated password and SASL
   * messages; not vacuous: more than 90% of them are asked for a password.
   */
  @Test
  void mutatedPasswordAndSaslMessages() {
    int[] asked = {0, 0}; // asked for a password, of all
    Fuzz.check(1000, Gen.of(Roles.SCRAM, Roles.MD5, Roles.PLAIN, "nobody"), mutatedAuth(), cuts(), (user, auth, cuts) -> {
      byte[] startup = StartupPacketFuzzTest.startup(3 << 16, Map.of("user", user, "database", Roles.DATABASE));
      String r = check(Fuzz.concat(startup, auth), cuts, startup.length);
      asked[0] += r.startsWith("R") ? 1 : 0;
      asked[1]++;
    });
    assertThat(asked[0]).as("asked for a password, of %d", asked[1]).isGreaterThan(asked[1] * 9 / 10);
  }

  /**
   * Regression (shrunk, in the property's own rule): a Terminate (here with a stray byte) sent
   * instead of the password closes the client without an ErrorResponse, which the property had
   * counted as a failure at 20,000 tries.
   */
  @Test
  void terminateInsteadOfThePassword() {
    byte[] startup = StartupPacketFuzzTest.startup(3 << 16, Map.of("user", Roles.SCRAM, "database", Roles.DATABASE));
    byte[] terminate = {'X', 0, 0, 0, 5, 0};
    assertThat(check(Fuzz.concat(startup, terminate), List.of(), startup.length)).isEqualTo("R|closed");
  }

  /**
   * Regression (shrunk): a SASLInitialResponse whose data length is cut short ("SCRAM-SHA-256\0"
   * and two bytes) threw IndexOutOfBoundsException: the client was dropped as an I/O error, with
   * no ErrorResponse.
   */
  @Test
  void saslInitialResponseWithoutItsLength() {
    byte[] startup = StartupPacketFuzzTest.startup(3 << 16, Map.of("user", Roles.SCRAM, "database", Roles.DATABASE));
    byte[] sasl = message('p', Fuzz.concat(cstring("SCRAM-SHA-256"), new byte[2]));
    assertThat(check(Fuzz.concat(startup, sasl), List.of())).isEqualTo("RE|closed");
  }

  /**
   * Regression: a read holding a message that closes the client (here a wrong password) and the
   * start of another: the scan went on after the close and kept the partial message in a buffer
   * nobody released.
   */
  @Test
  void closedInTheMiddleOfAReadKeepsNoBuffer() throws InterruptedException {
    byte[] startup = StartupPacketFuzzTest.startup(3 << 16, Map.of("user", Roles.MD5, "database", Roles.DATABASE));
    byte[] wrong = message('p', cstring("md5" + "0".repeat(32)));
    for (int i = 0; i < 20; i++) {
      assertThat(check(Fuzz.concat(startup, wrong, new byte[] {'p', 0, 0}), List.of(startup.length))).endsWith("E|closed");
    }
    LeakCheck.check("closedInTheMiddleOfAReadKeepsNoBuffer");
  }

  static Gen<List<Integer>> cuts() {
    return Gen.ints(0, 1 << 16).list(0, 4);
  }

  /** PasswordMessage, SASLInitialResponse and SASLResponse as a client would send them. */
  static Gen<byte[]> mutatedAuth() {
    Gen<byte[]> password =
        Gen.of("md5" + "0".repeat(32), Roles.password(Roles.MD5), "").map(p -> message('p', cstring(p)));
    Gen<byte[]> first =
        Gen.of("n,,n=,r=abcdefghijklmnop", "y,,n=x,r=0123", "p=tls-server-end-point,,n=,r=x")
            .map(s -> {
              byte[] data = s.getBytes(StandardCharsets.UTF_8);
              return message('p', Fuzz.concat(cstring("SCRAM-SHA-256"), Fuzz.int32(data.length), data));
            });
    Gen<byte[]> last =
        Gen.just(message('p', ("c=biws,r=abcdefghijklmnop,p=" + "A".repeat(43) + "=").getBytes(StandardCharsets.UTF_8)));
    Gen<byte[]> valid = Gen.combine(Gen.oneOf(password, first), last, (a, b) -> Fuzz.concat(a, b));
    return Fuzz.mutated(valid);
  }

  static byte[] cstring(String s) {
    return Fuzz.concat(s.getBytes(StandardCharsets.UTF_8), new byte[1]);
  }

  static byte[] message(char type, byte[] body) {
    return Fuzz.concat(new byte[] {(byte) type}, Fuzz.int32(body.length + 4), body);
  }
}
