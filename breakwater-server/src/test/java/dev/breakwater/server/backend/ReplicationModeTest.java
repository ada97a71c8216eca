package dev.breakwater.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ReplicationModeTest {

  @Test
  void readsTheValuesPostgresTakes() {
    assertThat(ReplicationMode.parse("database")).isEqualTo(ReplicationMode.LOGICAL);
    for (String yes : new String[] {"true", "TRUE", "t", "yes", "y", "on", "ON", "1"}) {
      assertThat(ReplicationMode.parse(yes)).as(yes).isEqualTo(ReplicationMode.PHYSICAL);
    }
    for (String no : new String[] {"false", "f", "no", "n", "off", "of", "0"}) {
      assertThat(ReplicationMode.parse(no)).as(no).isEqualTo(ReplicationMode.NONE);
    }
    // "o" could be on or off; "Database" is not the keyword (PostgreSQL compares it exactly).
    for (String bad : new String[] {"", "o", "maybe", "2", "Database", " true"}) {
      assertThat(ReplicationMode.parse(bad)).as("'%s'", bad).isNull();
    }
  }

  @Test
  void sendsPgBouncersValues() {
    assertThat(ReplicationMode.LOGICAL.startupValue()).isEqualTo("database");
    assertThat(ReplicationMode.PHYSICAL.startupValue()).isEqualTo("yes");
    assertThat(ReplicationMode.PHYSICAL.showName()).isEqualTo("physical");
  }
}
