package dev.breakwater.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.server.fuzz.Gen;
import dev.breakwater.testkit.LeakCheck;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The admin console's command parser: any query text gives a CommandLine or null, never a throw. */
@ExtendWith(LeakCheck.class)
class CommandLineFuzzTest {

  @Test
  void anyText() {
    Gen<String> queries = Fuzz.textOf("SHOW", "show", "SET", "set", "TO", "to", "POOLS", "clients", "KILL", "\"a\"\"b\"", "'x''y'", "RELOAD");
    Fuzz.check(3000, queries, query -> {
      CommandLine c = CommandLine.parse(query);
      if (c != null) {
        assertThat(c.command()).isNotNull();
        assertThat(c.argument()).isNotNull();
      }
    });
  }

  @Test
  void longQuotedWords() {
    Gen<String> longWords = Gen.ints(1000, 20_000).map(n -> "\"" + "ab\"\"".repeat(n / 4) + "\"");
    Fuzz.check(300, longWords, word -> {
      CommandLine.parse("SHOW " + word);
      CommandLine.parse("SET " + word + " = " + word);
      CommandLine.parse("SET x = '" + word.replace('"', '\'') + "'");
    });
  }

  /**
   * Regression: a quoted word of a few thousand characters overflowed the regex engine's stack
   * (StackOverflowError on the event loop) with the alternation inside the repeated group.
   */
  @Test
  void aLongQuotedWordIsRead() {
    String name = "x".repeat(100_000);
    assertThat(CommandLine.parse("SHOW \"" + name + "\"")).isEqualTo(new CommandLine("show", name, null));
    assertThat(CommandLine.parse("SET a = '" + name + "'")).isEqualTo(new CommandLine("set", "a", name));
    assertThat(CommandLine.parse("SET \"a\"\"b\" = 'it''s'")).isEqualTo(new CommandLine("set", "a\"b", "it's"));
  }
}
