package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthFileTest {
  static final Path FILE = Path.of("userlist.txt");

  static final String SCRAM =
      "SCRAM-SHA-256$4096:c2FsdHNhbHRzYWx0$6Xk9LwTgbjmQ3t0Ug0Gs8bDKUqK6eK5q0sYcuNBeBQ0="
          + ":zjGmkGMWL5T0yZ2p4w2oMcd5s1nZuxRKJ4gPsKqyDw8=";

  static ConfigException failure(String text) {
    try {
      AuthFile.parse(text, FILE);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError("expected a failure for " + text);
  }

  @Test
  void plainMd5AndScramSecretsAreReturnedAsWritten() throws Exception {
    Map<String, String> users =
        AuthFile.parse(
            "\"alice\" \"plain pass\"\n"
                + "\"bob\" \"md545f2603610af569b6155c45067268c6b\"\n"
                + "\"carol\" \"" + SCRAM + "\"\n",
            FILE);
    assertThat(users)
        .containsExactly(
            Map.entry("alice", "plain pass"),
            Map.entry("bob", "md545f2603610af569b6155c45067268c6b"),
            Map.entry("carol", SCRAM));
  }

  @Test
  void commentsBlankLinesExtraFieldsAndCrLf() throws Exception {
    Map<String, String> users =
        AuthFile.parse(
            "; comment\r\n# another\r\n\r\n   \"a\"   \"1\"  \"ignored third field\"\r\n"
                + "\"b\"\t\"2\"\r\n",
            FILE);
    assertThat(users).containsExactly(Map.entry("a", "1"), Map.entry("b", "2"));
  }

  @Test
  void doubledQuotesAreOneQuote() throws Exception {
    Map<String, String> users = AuthFile.parse("\"we\"\"ird\" \"pa\"\"ss\"\"\"\n", FILE);
    assertThat(users).containsExactly(Map.entry("we\"ird", "pa\"ss\""));
  }

  @Test
  void emptySecretAndLaterLineWins() throws Exception {
    Map<String, String> users = AuthFile.parse("\"a\" \"\"\n\"a\" \"second\"\n", FILE);
    assertThat(users).containsExactly(Map.entry("a", "second"));
    assertThat(AuthFile.parse("\"a\" \"\"\n", FILE)).containsEntry("a", "");
  }

  @Test
  void malformedLines() {
    ConfigException bare = failure("\"ok\" \"1\"\nbob secret\n");
    assertThat(bare.getMessage())
        .isEqualTo("userlist.txt:2: expected \"user\" \"secret\" with both in double quotes;"
            + " the line does not start with a double quote")
        .doesNotContain("secret\n");
    assertThat(bare.line()).isEqualTo(2);
    assertThat(failure("\"bob\"\n").getMessage())
        .isEqualTo("userlist.txt:1: expected the secret in double quotes after user \"bob\"");
    assertThat(failure("\"bob\" secret\n").getMessage())
        .isEqualTo("userlist.txt:1: expected the secret in double quotes after user \"bob\"");
    assertThat(failure("\"bob \"x\"\n").getMessage())
        .isEqualTo("userlist.txt:1: expected the secret in double quotes after user \"bob \"");
    assertThat(failure("\"bob\" \"open\n\"x\" \"y\"\n").getMessage())
        .isEqualTo("userlist.txt:1: secret has no closing double quote");
    assertThat(failure("\"unterminated\n").getMessage())
        .isEqualTo("userlist.txt:1: user name has no closing double quote");
    assertThat(failure("\"\" \"x\"\n").getMessage())
        .isEqualTo("userlist.txt:1: empty user name");
    assertThat(failure("\"" + "u".repeat(128) + "\" \"x\"\n").getMessage())
        .isEqualTo("userlist.txt:1: user name longer than 127 bytes");
  }

  @Test
  void loadsFromDisk(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("userlist.txt");
    Files.writeString(file, "\"app\" \"md5abc\"\n");
    assertThat(AuthFile.load(file)).containsExactly(Map.entry("app", "md5abc"));
    assertThatThrownBy(() -> AuthFile.load(dir.resolve("missing.txt")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir.resolve("missing.txt") + ": cannot read auth file "
            + dir.resolve("missing.txt") + ": no such file");
  }

  @Test
  void resultIsImmutable() throws Exception {
    Map<String, String> users = AuthFile.parse("\"a\" \"1\"\n", FILE);
    assertThatThrownBy(() -> users.put("b", "2")).isInstanceOf(UnsupportedOperationException.class);
  }
}
