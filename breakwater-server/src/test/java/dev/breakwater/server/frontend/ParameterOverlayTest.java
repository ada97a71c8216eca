package dev.breakwater.server.frontend;

import static org.assertj.core.api.Assertions.assertThat;

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
}
