package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.config.ConfigLoader;
import dev.breakwater.server.config.General;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.parallel.Resources;

/** How many event loops the pooler runs: worker_threads, else one per core; the property wins. */
@ResourceLock(Resources.SYSTEM_PROPERTIES)
class EventLoopCountTest {

  private static General general(String settings) throws Exception {
    return ConfigLoader.load("[pgbouncer]\n" + settings, Path.of("pgbouncer.ini")).general();
  }

  private static int withProperty(String value, General general) {
    String before = System.getProperty("breakwater.threads");
    try {
      if (value == null) {
        System.clearProperty("breakwater.threads");
      } else {
        System.setProperty("breakwater.threads", value);
      }
      return Breakwater.threads(general);
    } finally {
      if (before == null) {
        System.clearProperty("breakwater.threads");
      } else {
        System.setProperty("breakwater.threads", before);
      }
    }
  }

  @Test
  void oneLoopPerCoreUnlessSet() throws Exception {
    assertThat(general("").workerThreads()).isZero();
    assertThat(withProperty(null, general("")))
        .isEqualTo(Runtime.getRuntime().availableProcessors());
  }

  @Test
  void workerThreadsSetsTheCount() throws Exception {
    assertThat(withProperty(null, general("worker_threads = 3\n"))).isEqualTo(3);
  }

  @Test
  void thePropertyOverridesTheSetting() throws Exception {
    assertThat(withProperty("5", general("worker_threads = 3\n"))).isEqualTo(5);
  }
}
