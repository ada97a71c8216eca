package dev.breakwater.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.server.fuzz.Gen;
import dev.breakwater.testkit.LeakCheck;
import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the HTTP endpoint reads of a request's headers itself (Netty's codec reads the rest): the
 * Host check and the bearer token of Authorization. Any text gives an answer, never a throw; a
 * Host that is not one of this listener's names is refused.
 */
@ExtendWith(LeakCheck.class)
class HttpHeadersFuzzTest {

  static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 9127);

  @Test
  void hostHeaders() {
    Fuzz.check(3000, hosts(), host -> {
      boolean ok = HostCheck.allowed(host, LOCAL, "", Set.of("bw.example"));
      if (ok) {
        String h = HostCheck.hostOf(host.strip().toLowerCase(java.util.Locale.ROOT));
        assertThat(h).as(host).isNotNull();
        assertThat(h.replaceAll("\\.$", "")).as(host).isIn("localhost", "bw.example", "127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1");
      }
    });
  }

  @Test
  void authorizationHeaders() {
    Fuzz.check(3000, authorizations(), authorization -> {
      String token = HttpApi.bearer(authorization);
      if (token != null) {
        assertThat(authorization.toLowerCase(java.util.Locale.ROOT)).startsWith("bearer ");
      }
    });
  }

  static Gen<String> hosts() {
    return Fuzz.textOf("localhost", "127.0.0.1", "[", "]", ":", "::1", "::ffff:", "9127", ".", "bw.example", "evil", "0x7f.1", "127.1", "%25", "LOCALHOST");
  }

  static Gen<String> authorizations() {
    return Gen.oneOf(Fuzz.textOf("Bearer", "bearer", "Basic", " ", "token"), Gen.strings(Gen.chars(), 0, 12));
  }
}
