package dev.breakwater.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.auth.ScramSecret;
import dev.breakwater.protocol.auth.ScramServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * ScramServer's parsing of client-first-message and client-final-message: any bytes give an
 * answer (server-first, an Outcome) or a ProtocolException, and a mutated proof never
 * authenticates.
 */
@AddLifecycleHook(Fuzz.class)
class ScramServerFuzzTest {

  static final ScramSecret SECRET = ScramSecret.fromPassword("pencil", new byte[16], 4096);

  @Property(tries = 3000)
  void clientFirst(@ForAll("firsts") byte[] message) {
    try {
      byte[] serverFirst = new ScramServer(SECRET).onClientFirst(message);
      assertThat(new String(serverFirst, StandardCharsets.UTF_8)).startsWith("r=");
    } catch (ProtocolException expected) {
      // the documented failure
    }
  }

  @Property(tries = 3000)
  void clientFinal(@ForAll("finalEdits") java.util.List<Fuzz.Edit> edits, @ForAll("anyBytes") byte[] proof) {
    ScramServer server = new ScramServer(SECRET);
    String serverFirst = new String(server.onClientFirst("n,,n=,r=clientnonce".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
    byte[] valid =
        ("c=biws,r=" + nonce + ",p=" + Base64.getEncoder().encodeToString(proof)).getBytes(StandardCharsets.UTF_8);
    try {
      ScramServer.Outcome o = server.onClientFinal(Fuzz.apply(valid, edits));
      assertThat(o.authenticated()).as("a proof made of random bytes").isFalse();
    } catch (ProtocolException expected) {
      // the documented failure
    }
  }

  @Property(tries = 2000)
  void clientFinalOfAnyBytes(@ForAll("anyBytes") byte[] message) {
    ScramServer server = new ScramServer(SECRET);
    server.onClientFirst("n,,n=,r=x".getBytes(StandardCharsets.UTF_8));
    try {
      server.onClientFinal(message);
    } catch (ProtocolException expected) {
      // the documented failure
    }
  }

  @Provide
  Arbitrary<byte[]> anyBytes() {
    return Fuzz.bytes(48);
  }

  @Provide
  Arbitrary<java.util.List<Fuzz.Edit>> finalEdits() {
    return Fuzz.edits();
  }

  @Provide
  Arbitrary<byte[]> firsts() {
    return Arbitraries.oneOf(
        Fuzz.bytes(40),
        Fuzz.mutated(Arbitraries.of("n,,n=,r=abc", "y,,n=user,r=0123456789", "n,a=x,n=,r=a", "n,,m=ext,n=,r=a", "p=tls-server-end-point,,n=,r=a")
            .map(s -> s.getBytes(StandardCharsets.UTF_8))));
  }
}
