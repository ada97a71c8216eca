package dev.breakwater.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.auth.ScramSecret;
import dev.breakwater.protocol.auth.ScramServer;
import dev.breakwater.testkit.LeakCheck;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * ScramServer's parsing of client-first-message and client-final-message: any bytes give an
 * answer (server-first, an Outcome) or a ProtocolException, and a mutated proof never
 * authenticates.
 */
@ExtendWith(LeakCheck.class)
class ScramServerFuzzTest {

  static final ScramSecret SECRET = ScramSecret.fromPassword("pencil", new byte[16], 4096);

  @Test
  void clientFirst() {
    Fuzz.check(3000, firsts(), message -> {
      try {
        byte[] serverFirst = new ScramServer(SECRET).onClientFirst(message);
        assertThat(new String(serverFirst, StandardCharsets.UTF_8)).startsWith("r=");
      } catch (ProtocolException expected) {
        // the documented failure
      }
    });
  }

  @Test
  void clientFinal() {
    Fuzz.check(3000, Fuzz.edits(), Gen.bytes(48), (edits, proof) -> {
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
    });
  }

  @Test
  void clientFinalOfAnyBytes() {
    Fuzz.check(2000, Gen.bytes(48), message -> {
      ScramServer server = new ScramServer(SECRET);
      server.onClientFirst("n,,n=,r=x".getBytes(StandardCharsets.UTF_8));
      try {
        server.onClientFinal(message);
      } catch (ProtocolException expected) {
        // the documented failure
      }
    });
  }

  static Gen<byte[]> firsts() {
    return Gen.oneOf(
        Gen.bytes(40),
        Fuzz.mutated(Gen.of("n,,n=,r=abc", "y,,n=user,r=0123456789", "n,a=x,n=,r=a", "n,,m=ext,n=,r=a", "p=tls-server-end-point,,n=,r=a")
            .map(s -> s.getBytes(StandardCharsets.UTF_8))));
  }
}
