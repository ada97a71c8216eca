package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** %include: relative names, nesting, sections across files, missing files, cycles, depth. */
class IncludeTest {
  @TempDir Path dir;

  private Path write(String name, String text) throws Exception {
    Path file = dir.resolve(name);
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    return file;
  }

  @Test
  void relativeToTheIncludingFileAndNested() throws Exception {
    Path main = write("pgbouncer.ini",
        "[pgbouncer]\nlisten_port = 1111\n%include conf.d/pools.ini\nother = host=y\n");
    write("conf.d/pools.ini", "default_pool_size = 3\n%include ../dbs.ini\n");
    write("dbs.ini", "[databases]\napp = host=db\n");

    Settings s = ConfigLoader.load(main);
    assertThat(s.general().listenPort()).isEqualTo(1111);
    assertThat(s.general().defaultPoolSize()).as("included file continues [pgbouncer]")
        .isEqualTo(3);
    assertThat(s.databases().keySet()).as("[databases] from the include stays in force")
        .containsExactly("app", "other");
  }

  @Test
  void laterIncludeOverridesEarlierSettings() throws Exception {
    Path main = write("main.ini", "[pgbouncer]\npool_mode = session\n%include override.ini\n");
    write("override.ini", "pool_mode = transaction\n");
    assertThat(ConfigLoader.load(main).general().poolMode()).isEqualTo(PoolMode.TRANSACTION);
  }

  @Test
  void absoluteIncludeAndErrorsNameTheIncludedFile() throws Exception {
    Path other = write("sub/other.ini", "\nmax_client_conn = many\n");
    Path main = write("main.ini", "[pgbouncer]\n%include " + other + "\n");
    assertThatThrownBy(() -> ConfigLoader.load(main))
        .isInstanceOf(ConfigException.class)
        .hasMessage(other + ":2: max_client_conn: invalid value \"many\""
            + " (allowed: an integer >= 0)");
  }

  @Test
  void missingIncludedFile() throws Exception {
    Path main = write("main.ini", "[pgbouncer]\n\n%include nope.ini\n");
    assertThatThrownBy(() -> ConfigLoader.load(main))
        .isInstanceOf(ConfigException.class)
        .hasMessage(main + ":3: cannot read included file " + dir.resolve("nope.ini")
            + ": no such file");
  }

  @Test
  void includeNeedsAName() throws Exception {
    Path main = write("main.ini", "[pgbouncer]\n%include\n");
    assertThatThrownBy(() -> ConfigLoader.load(main))
        .hasMessage(main + ":2: %include needs a file name");
  }

  @Test
  void cycleIsReportedWithTheChain() throws Exception {
    Path main = write("main.ini", "[pgbouncer]\n%include a.ini\n");
    Path a = write("a.ini", "%include b.ini\n");
    Path b = write("b.ini", "; loops\n%include a.ini\n");
    assertThatThrownBy(() -> ConfigLoader.load(main))
        .isInstanceOf(ConfigException.class)
        .hasMessage(b + ":2: %include cycle: " + main + " -> " + a + " -> " + b + " -> " + a);
  }

  @Test
  void selfInclude() throws Exception {
    Path main = write("main.ini", "[pgbouncer]\n%include ./main.ini\n");
    assertThatThrownBy(() -> ConfigLoader.load(main))
        .hasMessage(main + ":2: %include cycle: " + main + " -> " + main);
  }

  @Test
  void tenLevelsAreAllowedElevenAreNot() throws Exception {
    for (int i = 1; i <= 11; i++) {
      write("l" + i + ".ini", i < 11 ? "%include l" + (i + 1) + ".ini\n" : "listen_port = 11\n");
    }
    Path ten = write("ten.ini", "[pgbouncer]\n%include l2.ini\n");
    assertThat(ConfigLoader.load(ten).general().listenPort()).isEqualTo(11);

    Path eleven = write("eleven.ini", "[pgbouncer]\n%include l1.ini\n");
    assertThatThrownBy(() -> ConfigLoader.load(eleven))
        .hasMessage(dir.resolve("l10.ini") + ":1: %include nested too deeply (more than 10"
            + " levels) at " + dir.resolve("l11.ini"));
  }

  @Test
  void textWithPretendFileResolvesIncludesNextToIt() throws Exception {
    write("extra.ini", "listen_port = 2222\n");
    Settings s = ConfigLoader.load("[pgbouncer]\n%include extra.ini\n", dir.resolve("x.ini"));
    assertThat(s.general().listenPort()).isEqualTo(2222);
  }
}
