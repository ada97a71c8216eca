package dev.breakwater.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import java.net.InetSocketAddress;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * What the HTTP endpoint reads of a request's headers itself (Netty's codec reads the rest): the
 * Host check and the bearer token of Authorization. Any text gives an answer, never a throw; a
 * Host that is not one of this listener's names is refused.
 */
@AddLifecycleHook(Fuzz.class)
class HttpHeadersFuzzTest {

  static final InetSocketAddress LOCAL = new InetSocketAddress("127.0.0.1", 9127);

  @Property(tries = 3000)
  void hostHeaders(@ForAll("hosts") String host) {
    boolean ok = HostCheck.allowed(host, LOCAL, "", Set.of("bw.example"));
    if (ok) {
      String h = HostCheck.hostOf(host.strip().toLowerCase(java.util.Locale.ROOT));
      assertThat(h).as(host).isNotNull();
      assertThat(h.replaceAll("\\.$", "")).as(host).isIn("localhost", "bw.example", "127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1");
    }
  }

  @Property(tries = 3000)
  void authorizationHeaders(@ForAll("authorizations") String authorization) {
    String token = HttpApi.bearer(authorization);
    if (token != null) {
      assertThat(authorization.toLowerCase(java.util.Locale.ROOT)).startsWith("bearer ");
    }
  }

  @Provide
  Arbitrary<String> hosts() {
    return Fuzz.textOf("localhost", "127.0.0.1", "[", "]", ":", "::1", "::ffff:", "9127", ".", "bw.example", "evil", "0x7f.1", "127.1", "%25", "LOCALHOST");
  }

  @Provide
  Arbitrary<String> authorizations() {
    return Arbitraries.oneOf(Fuzz.textOf("Bearer", "bearer", "Basic", " ", "token"), Arbitraries.strings().ofMaxLength(12));
  }
}
