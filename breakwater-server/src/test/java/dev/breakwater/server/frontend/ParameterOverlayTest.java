package dev.breakwater.server.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.pool.WelcomeParameters;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParameterOverlayTest {

  private static List<String> visited(ParameterOverlay o) {
    List<String> seen = new ArrayList<>();
    o.forEach((k, v) -> seen.add(k + "=" + v));
    return seen;
  }

  private static List<String> entries(ParameterOverlay o) {
    List<String> seen = new ArrayList<>();
    for (Map.Entry<String, String> e : o.entrySet()) {
      seen.add(e.getKey() + "=" + e.getValue());
    }
    return seen;
  }

  @Test
  void forEachGivesWhatEntrySetGivesInItsOrder() {
    Map<String, String> welcome = new LinkedHashMap<>();
    welcome.put("client_encoding", "UTF8");
    welcome.put("DateStyle", "ISO, MDY");
    welcome.put("TimeZone", "UTC");
    ParameterOverlay o = new ParameterOverlay();
    o.put("application_name", "app");
    o.put("TimeZone", "Europe/Paris");
    o.base(welcome);
    o.put("DateStyle", "ISO, MDY");

    assertThat(visited(o))
        .containsExactly("client_encoding=UTF8", "DateStyle=ISO, MDY", "TimeZone=Europe/Paris", "application_name=app")
        .isEqualTo(entries(o));
  }

  @Test
  void forEachWithoutOwnParametersIsThePoolsAndWithoutABaseIsTheClients() {
    ParameterOverlay none = new ParameterOverlay();
    none.put("application_name", "app");
    assertThat(visited(none)).containsExactly("application_name=app").isEqualTo(entries(none));

    ParameterOverlay same = new ParameterOverlay();
    same.base(Map.of("TimeZone", "UTC"));
    assertThat(visited(same)).containsExactly("TimeZone=UTC").isEqualTo(entries(same));
  }

  @Test
  void ownParametersAreReplacedOnChangeNeverChangedInPlace() {
    ParameterOverlay o = new ParameterOverlay();
    o.base(Map.of("TimeZone", "UTC", "application_name", ""));
    assertThat(o.own()).isNull();

    o.put("application_name", "app");
    Map<String, String> first = o.own();
    assertThat(first).containsExactly(Map.entry("application_name", "app"));

    o.put("application_name", "app");
    assertThat(o.own()).as("a put that changes nothing keeps the map").isSameAs(first);

    o.put("TimeZone", "Asia/Tokyo");
    assertThat(first).as("the earlier map is left as it was").containsExactly(Map.entry("application_name", "app"));
    assertThat(o.own()).containsOnly(Map.entry("application_name", "app"), Map.entry("TimeZone", "Asia/Tokyo"));

    o.put("TimeZone", "UTC");
    assertThat(o.own()).isEqualTo(first).isNotSameAs(first);
    o.put("application_name", "");
    assertThat(o.own()).isNull();
    assertThat(first).containsExactly(Map.entry("application_name", "app"));
  }

  @Test
  void twoClientsWithTheSameSettingsHoldEqualOwnParameters() {
    Map<String, String> welcome = Map.of("TimeZone", "UTC", "application_name", "");
    ParameterOverlay a = new ParameterOverlay();
    a.put("application_name", "app");
    a.put("TimeZone", "UTC");
    a.base(welcome);
    ParameterOverlay b = new ParameterOverlay();
    b.base(welcome);
    b.put("application_name", "app");
    assertThat(a.own()).isEqualTo(b.own()).containsExactly(Map.entry("application_name", "app"));
    assertThat(a.baseOrNull()).isSameAs(b.baseOrNull());
    assertThat(new ParameterOverlay().baseOrNull()).isNull();
  }

  /** What a login sends, the slow way: every entry encoded in forEach's order. */
  private static byte[] encodedOneByOne(ParameterOverlay o) {
    io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
    o.forEach((k, v) -> dev.breakwater.protocol.BackendMessages.parameterStatus(b, k, v));
    byte[] out = io.netty.buffer.ByteBufUtil.getBytes(b);
    b.release();
    return out;
  }

  private static byte[] written(ParameterOverlay o) {
    io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.buffer();
    o.writeStatus(b);
    byte[] out = io.netty.buffer.ByteBufUtil.getBytes(b);
    b.release();
    return out;
  }

  @Test
  void theEncodedWelcomeBlockIsWhatEncodingEachParameterGives() {
    Map<String, String> server = new LinkedHashMap<>();
    server.put("client_encoding", "UTF8");
    server.put("DateStyle", "ISO, MDY");
    server.put("TimeZone", "UTC");
    server.put("server_version", "17.2");
    WelcomeParameters welcome = WelcomeParameters.of(server);
    assertThat(WelcomeParameters.of(welcome)).isSameAs(welcome);
    assertThat(welcome).isEqualTo(server);

    ParameterOverlay plain = new ParameterOverlay();
    plain.base(welcome);
    assertThat(plain.own()).isNull();
    assertThat(written(plain)).isEqualTo(encodedOneByOne(plain)).isNotEmpty();

    ParameterOverlay changed = new ParameterOverlay();
    changed.put("TimeZone", "Europe/Paris");
    changed.put("application_name", "app");
    changed.base(welcome);
    assertThat(written(changed)).isEqualTo(encodedOneByOne(changed));
    assertThat(new String(written(changed), java.nio.charset.StandardCharsets.UTF_8))
        .contains("TimeZone\0Europe/Paris\0")
        .contains("application_name\0app\0")
        .doesNotContain("UTC");
  }
}
