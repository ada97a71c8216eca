package dev.breakwater.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The console's grammar, as PgBouncer's regular expressions read it. */
class CommandLineTest {

  @Test
  void commandsWithAndWithoutArgument() {
    assertThat(CommandLine.parse("SHOW POOLS")).isEqualTo(new CommandLine("show", "POOLS", null));
    assertThat(CommandLine.parse("  show stats;  ")).isEqualTo(new CommandLine("show", "stats", null));
    assertThat(CommandLine.parse("RELOAD")).isEqualTo(new CommandLine("reload", "", null));
    assertThat(CommandLine.parse("reload ;")).isEqualTo(new CommandLine("reload", "", null));
    assertThat(CommandLine.parse("KILL_CLIENT 1234")).isEqualTo(new CommandLine("kill_client", "1234", null));
    assertThat(CommandLine.parse("SHUTDOWN WAIT_FOR_CLIENTS")).isEqualTo(new CommandLine("shutdown", "WAIT_FOR_CLIENTS", null));
    assertThat(CommandLine.parse("PAUSE \"my-db\"")).isEqualTo(new CommandLine("pause", "my-db", null));
    assertThat(CommandLine.parse("PAUSE \"say \"\"hi\"\"\"")).isEqualTo(new CommandLine("pause", "say \"hi\"", null));
  }

  @Test
  void setWithWordsAndStrings() {
    assertThat(CommandLine.parse("SET default_pool_size = 7")).isEqualTo(new CommandLine("set", "default_pool_size", "7"));
    assertThat(CommandLine.parse("set log_connections to 1;")).isEqualTo(new CommandLine("set", "log_connections", "1"));
    assertThat(CommandLine.parse("SET server_check_query = 'select ''2'''")).isEqualTo(new CommandLine("set", "server_check_query", "select '2'"));
    assertThat(CommandLine.parse("SET admin_users = ''")).isEqualTo(new CommandLine("set", "admin_users", ""));
  }

  @Test
  void anythingElseIsNotACommand() {
    assertThat(CommandLine.parse("SHOW POOLS; SHOW STATS")).isNull();
    assertThat(CommandLine.parse("SELECT * FROM pg_class")).isNull();
    assertThat(CommandLine.parse("PAUSE my-db")).isNull();
    assertThat(CommandLine.parse("SET x")).isEqualTo(new CommandLine("set", "x", null));
    assertThat(CommandLine.parse("")).isNull();
  }
}
