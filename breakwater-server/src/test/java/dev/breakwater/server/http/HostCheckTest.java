package dev.breakwater.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The Host header check: names that mean this listener, and nothing resolved. */
class HostCheckTest {

  static final InetSocketAddress LOCAL = new InetSocketAddress("10.1.2.3", 9127);

  static boolean ok(String host, Set<String> allowed) {
    return HostCheck.allowed(host, LOCAL, "", allowed);
  }

  @Test
  void localhostTheConnectionsAddressAndAllowedNames() {
    assertThat(ok("localhost:9127", Set.of())).isTrue();
    assertThat(ok("LOCALHOST.", Set.of())).isTrue();
    assertThat(ok("10.1.2.3:9127", Set.of())).isTrue();
    assertThat(ok("10.1.2.3", Set.of())).isTrue();
    assertThat(ok(null, Set.of())).isTrue();
    assertThat(ok("evil.example:9127", Set.of())).isFalse();
    assertThat(ok("10.1.2.4:9127", Set.of())).isFalse();
    assertThat(ok("", Set.of())).isFalse();
    assertThat(ok("[::1]:9127", Set.of())).isFalse();
    assertThat(ok("bw.example:9127", Set.of("bw.example"))).isTrue();
    assertThat(ok("evil.example", Set.of("*"))).isTrue();
    assertThat(HostCheck.allowed("bw.internal", LOCAL, "bw.internal", Set.of())).isTrue();
  }

  @Test
  void ipv6LiteralsAndMalformedHeaders() {
    InetSocketAddress v6 = new InetSocketAddress("::1", 9127);
    assertThat(HostCheck.allowed("[::1]:9127", v6, "", Set.of())).isTrue();
    assertThat(HostCheck.allowed("[::1", v6, "", Set.of())).isFalse();
    assertThat(HostCheck.allowed("::1", v6, "", Set.of())).isFalse();
    assertThat(HostCheck.allowed("[::1]x", v6, "", Set.of())).isFalse();
    assertThat(HostCheck.allowed("[::ffff:10.1.2.3]", LOCAL, "", Set.of())).isTrue();
  }
}
