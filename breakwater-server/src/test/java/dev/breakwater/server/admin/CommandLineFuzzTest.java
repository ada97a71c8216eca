package dev.breakwater.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.fuzz.Fuzz;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/** The admin console's command parser: any query text gives a CommandLine or null, never a throw. */
@AddLifecycleHook(Fuzz.class)
class CommandLineFuzzTest {

  @Property(tries = 3000)
  void anyText(@ForAll("queries") String query) {
    CommandLine c = CommandLine.parse(query);
    if (c != null) {
      assertThat(c.command()).isNotNull();
      assertThat(c.argument()).isNotNull();
    }
  }

  @Property(tries = 300)
  void longQuotedWords(@ForAll("longWords") String word) {
    CommandLine.parse("SHOW " + word);
    CommandLine.parse("SET " + word + " = " + word);
    CommandLine.parse("SET x = '" + word.replace('"', '\'') + "'");
  }

  /**
   * Regression: a quoted word of a few thousand characters overflowed the regex engine's stack
   * (StackOverflowError on the event loop) with the alternation inside the repeated group.
   */
  @Example
  void aLongQuotedWordIsRead() {
    String name = "x".repeat(100_000);
    assertThat(CommandLine.parse("SHOW \"" + name + "\"")).isEqualTo(new CommandLine("show", name, null));
    assertThat(CommandLine.parse("SET a = '" + name + "'")).isEqualTo(new CommandLine("set", "a", name));
    assertThat(CommandLine.parse("SET \"a\"\"b\" = 'it''s'")).isEqualTo(new CommandLine("set", "a\"b", "it's"));
  }

  @Provide
  Arbitrary<String> queries() {
    return Fuzz.textOf("SHOW", "show", "SET", "set", "TO", "to", "POOLS", "clients", "KILL", "\"a\"\"b\"", "'x''y'", "RELOAD");
  }

  @Provide
  Arbitrary<String> longWords() {
    return Arbitraries.integers().between(1000, 20_000).map(n -> "\"" + "ab\"\"".repeat(n / 4) + "\"");
  }
}
