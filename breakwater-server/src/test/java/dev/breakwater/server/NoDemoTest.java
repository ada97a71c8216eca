package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Without breakwater-demo on the class path (as here), no configuration file is a clear error. */
class NoDemoTest {

  @Test
  void noConfigurationAndNoDemoSaysWhatToDo() {
    assertThat(Demo.starter()).isEmpty();
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    int code;
    try {
      code = new CommandLine(new Main()).execute();
    } finally {
      System.setErr(err);
    }
    assertThat(code).isEqualTo(Main.EXIT_CONFIG);
    assertThat(captured.toString(StandardCharsets.UTF_8))
        .startsWith("breakwater: no configuration file given.")
        .contains("pgbouncer.ini")
        .contains("bin/breakwater");
  }
}
