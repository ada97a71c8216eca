package dev.breakwater.server.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.config.ConfigException;
import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.testkit.LeakCheck;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The hba file: bad lines are a ConfigException with the file and line, nothing else. */
@ExtendWith(LeakCheck.class)
class HbaFuzzTest {

  static final Path HBA = Path.of("/nonexistent/fuzz/hba.conf");

  static final String VALID =
      "local all all trust\n"
          + "host all all 127.0.0.1/32 scram-sha-256\n"
          + "hostssl app,\"b c\" +grp,bob 10.0.0.0 255.0.0.0 md5\n"
          + "host sameuser all ::1/128 peer map=x\n"
          + "hostnossl replication all all reject # comment\n";

  static void parse(String text) {
    try {
      Hba.parse(List.of(text.split("\n", -1)), HBA);
    } catch (ConfigException e) {
      assertThat(e.file()).as(e.getMessage()).isEqualTo(HBA);
      assertThat(e.line()).as(e.getMessage()).isPositive();
    }
  }

  @Test
  void anyText() {
    Fuzz.check(3000, Fuzz.textOf("local", "host", "hostssl", "hostnossl", "all", "sameuser", "replication", "+", "@", "/",
        "32", "128", "127.0.0.1", "::1", "255.255.0.0", "trust", "md5", "scram-sha-256", "peer", "reject", "map=", "\n"),
        HbaFuzzTest::parse);
  }

  @Test
  void mutatedValid() {
    Fuzz.check(3000, Fuzz.mutated(VALID), HbaFuzzTest::parse);
  }
}
