package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.testkit.LeakCheck;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The ini reader and the [pgbouncer] / [databases] / [users] sections: bad text is a ConfigException with the file and line, nothing else. */
@ExtendWith(LeakCheck.class)
class ConfigFuzzTest {

  static final Path INI = Path.of("/nonexistent/fuzz/pgbouncer.ini");

  static final String VALID =
      "[databases]\n"
          + "app = host=127.0.0.1 port=5432 dbname=app pool_size=5 user=bob\n"
          + "* = host=db auth_user=x\n"
          + "[users]\n"
          + "bob = pool_mode=transaction max_user_connections=3\n"
          + "[pgbouncer]\n"
          + "listen_port = 6432 ; comment\n"
          + "pool_mode = session\n"
          + "admin_users = a, b\n"
          + "query_wait_timeout = 1.5\n"
          + "auth_type = scram-sha-256\n"
          + "server_tls_sslmode = verify-full\n"
          + "[peers]\n"
          + "1 = host=/tmp port=6433\n";

  static void load(String text) {
    try {
      ConfigLoader.load(text, INI);
    } catch (ConfigException e) {
      assertThat(e.file()).as(e.getMessage()).isEqualTo(INI);
      assertThat(e.getMessage()).startsWith(INI.toString());
    }
  }

  @Test
  void anyText() {
    Fuzz.check(3000, Fuzz.textOf("[databases]", "[pgbouncer]", "[users]", "[peers]", "\n", "=", "host=", "port=", "pool_size=",
        "listen_port", "pool_mode", "auth_type", "1", "-1", "99999999999", "0x10", "1.5", "*", "app", "'quoted value'"),
        ConfigFuzzTest::load);
  }

  /** The valid file mutated (an %include it spells is not followed). */
  @Test
  void mutatedValid() {
    Fuzz.check(3000, Fuzz.mutated(VALID).map(t -> t.replace("%include", "%inc")), ConfigFuzzTest::load);
  }
}
