package dev.breakwater.server.sql;

import static dev.breakwater.server.sql.Token.Kind.BIT_STRING;
import static dev.breakwater.server.sql.Token.Kind.IDENTIFIER;
import static dev.breakwater.server.sql.Token.Kind.NUMBER;
import static dev.breakwater.server.sql.Token.Kind.OPERATOR;
import static dev.breakwater.server.sql.Token.Kind.PARAMETER;
import static dev.breakwater.server.sql.Token.Kind.QUOTED_IDENTIFIER;
import static dev.breakwater.server.sql.Token.Kind.SEMICOLON;
import static dev.breakwater.server.sql.Token.Kind.STRING;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.breakwater.server.sql.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** PostgreSQL's lexical rules, as scan.l has them. */
class SqlLexerTest {

  /** Kind and text of each token, as "KIND:text". */
  private static List<String> lex(String sql) {
    SqlLexer lexer = new SqlLexer(sql);
    List<String> out = new ArrayList<>();
    for (Token t = lexer.next(); t != null; t = lexer.next()) {
      out.add(t.kind() + ":" + t.text());
    }
    assertThat(lexer.failed()).as("lexer failed on %s", sql).isFalse();
    return out;
  }

  private static String single(String sql, Kind kind) {
    List<Token> tokens = SqlLexer.tokenize(sql);
    assertThat(tokens).as(sql).hasSize(1);
    assertThat(tokens.get(0).kind()).as(sql).isEqualTo(kind);
    return tokens.get(0).text();
  }

  static Stream<Arguments> singleTokens() {
    return Stream.of(
        // identifiers: folded unless quoted; $ and digits inside; non-ASCII kept
        Arguments.of("SeLeCt", IDENTIFIER, "select"),
        Arguments.of("a$b$c", IDENTIFIER, "a$b$c"),
        Arguments.of("_x9", IDENTIFIER, "_x9"),
        Arguments.of("ÉtéÀ", IDENTIFIER, "ÉtéÀ"),
        Arguments.of("\"MixedCase\"", QUOTED_IDENTIFIER, "MixedCase"),
        Arguments.of("\"a\"\"b\"", QUOTED_IDENTIFIER, "a\"b"),
        Arguments.of("\"SET\"", QUOTED_IDENTIFIER, "SET"),
        Arguments.of("\"$user\"", QUOTED_IDENTIFIER, "$user"),
        Arguments.of("U&\"d\\0061t\\+000061\"", QUOTED_IDENTIFIER, "data"),
        Arguments.of("u&\"d!0061t!+000061\" UESCAPE '!'", QUOTED_IDENTIFIER, "data"),
        // standard strings
        Arguments.of("'it''s'", STRING, "it's"),
        Arguments.of("''", STRING, ""),
        Arguments.of("'back\\slash'", STRING, "back\\slash"),
        Arguments.of("'a;b--c/*d*/'", STRING, "a;b--c/*d*/"),
        Arguments.of("'foo'\n'bar'", STRING, "foobar"),
        Arguments.of("'foo'  -- comment\n  'bar'", STRING, "foobar"),
        Arguments.of("'foo' \r\n\t 'bar'\n'baz'", STRING, "foobarbaz"),
        // escape strings
        Arguments.of("E'it\\'s'", STRING, "it's"),
        Arguments.of("e'it''s'", STRING, "it's"),
        Arguments.of("E'\\n\\t\\r\\b\\f\\\\'", STRING, "\n\t\r\b\f\\"),
        Arguments.of("E'\\x41\\101\\u0041\\U00000041\\q'", STRING, "AAAAq"),
        Arguments.of("E'\\xc3\\xa9t\\303\\251'", STRING, "été"),
        Arguments.of("E'\\uD83D\\uDE00'", STRING, "\uD83D\uDE00"),
        Arguments.of("E'\\xg'", STRING, "xg"),
        Arguments.of("E'a'\n'\\n'", STRING, "a\n"),
        // unicode strings
        Arguments.of("U&'\\0041\\+01F600\\\\'", STRING, "A\uD83D\uDE00\\"),
        Arguments.of("U&'#0041##' UESCAPE '#'", STRING, "A#"),
        Arguments.of("U&'x' /* c */ uescape\n'*'", STRING, "x"),
        Arguments.of("U&'\\D83D\\DE00'", STRING, "\uD83D\uDE00"),
        // dollar quotes
        Arguments.of("$$SET x=1$$", STRING, "SET x=1"),
        Arguments.of("$$$$", STRING, ""),
        Arguments.of("$fn$ a $$ b $ c $fn$", STRING, " a $$ b $ c "),
        Arguments.of("$a$ $b$ $ab$ $A$ $a$", STRING, " $b$ $ab$ $A$ "),
        Arguments.of("$_1$'\"--/*$_1$", STRING, "'\"--/*"),
        // bit strings
        Arguments.of("B'1010'", BIT_STRING, "b1010"),
        Arguments.of("x'1F'", BIT_STRING, "x1F"),
        // numbers
        Arguments.of("42", NUMBER, "42"),
        Arguments.of("1.5", NUMBER, "1.5"),
        Arguments.of(".5", NUMBER, ".5"),
        Arguments.of("5.", NUMBER, "5."),
        Arguments.of("1e10", NUMBER, "1e10"),
        Arguments.of("1.5E-3", NUMBER, "1.5E-3"),
        Arguments.of("1_000_000", NUMBER, "1_000_000"),
        Arguments.of("0x1F", NUMBER, "0x1F"),
        Arguments.of("0o17", NUMBER, "0o17"),
        Arguments.of("0b_101", NUMBER, "0b_101"),
        Arguments.of("$12", PARAMETER, "$12"),
        // operators
        Arguments.of("<>", OPERATOR, "<>"),
        Arguments.of("!=", OPERATOR, "!="),
        Arguments.of("::", OPERATOR, "::"),
        Arguments.of(":=", OPERATOR, ":="),
        Arguments.of("..", OPERATOR, ".."),
        Arguments.of("@-", OPERATOR, "@-"),
        Arguments.of("||", OPERATOR, "||"),
        Arguments.of(";", SEMICOLON, ";"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("singleTokens")
  void singleToken(String sql, Kind kind, String text) {
    assertThat(single(sql, kind)).isEqualTo(text);
  }

  @Test
  void commentsAndWhitespaceAreSkipped() {
    assertThat(lex(" /* a /* nested */ still comment */ SET -- to the end\n x\t=\f1 /**/;"))
        .containsExactly("IDENTIFIER:set", "IDENTIFIER:x", "OPERATOR:=", "NUMBER:1",
            "SEMICOLON:;");
    assertThat(lex("a--b\rc")).containsExactly("IDENTIFIER:a", "IDENTIFIER:c");
    assertThat(lex("/*/ x */y")).containsExactly("IDENTIFIER:y");
    assertThat(lex("-- only a comment")).isEmpty();
    assertThat(lex("")).isEmpty();
  }

  @Test
  void operatorsFollowScanL() {
    // a trailing + or - is split off unless the operator has a non-SQL character
    assertThat(lex("x=-5")).containsExactly("IDENTIFIER:x", "OPERATOR:=", "OPERATOR:-",
        "NUMBER:5");
    assertThat(lex("a @- b")).containsExactly("IDENTIFIER:a", "OPERATOR:@-", "IDENTIFIER:b");
    // a comment start inside an operator run ends the operator
    assertThat(lex("1+/*c*/2")).containsExactly("NUMBER:1", "OPERATOR:+", "NUMBER:2");
    assertThat(lex("1*--c\n2")).containsExactly("NUMBER:1", "OPERATOR:*", "NUMBER:2");
    assertThat(lex("'a'::text")).containsExactly("STRING:a", "OPERATOR:::", "IDENTIFIER:text");
    assertThat(lex("f(a, b[1])")).containsExactly("IDENTIFIER:f", "OPERATOR:(", "IDENTIFIER:a",
        "OPERATOR:,", "IDENTIFIER:b", "OPERATOR:[", "NUMBER:1", "OPERATOR:]", "OPERATOR:)");
    assertThat(lex("s.t")).containsExactly("IDENTIFIER:s", "OPERATOR:.", "IDENTIFIER:t");
    assertThat(lex("1..2")).containsExactly("NUMBER:1", "OPERATOR:..", "NUMBER:2");
    assertThat(lex("$ x")).containsExactly("OPERATOR:$", "IDENTIFIER:x");
  }

  @Test
  void stringsNextToEachOtherWithoutNewlineAreTwoTokens() {
    assertThat(lex("'a' 'b'")).containsExactly("STRING:a", "STRING:b");
    assertThat(lex("'a' /* c */\n'b'")).containsExactly("STRING:a", "STRING:b");
  }

  @Test
  void prefixLettersOnlyCountAtATokenStart() {
    assertThat(lex("fe'x'")).containsExactly("IDENTIFIER:fe", "STRING:x");
    assertThat(lex("n'x'")).containsExactly("IDENTIFIER:n", "STRING:x");
    assertThat(lex("u & 'x'")).containsExactly("IDENTIFIER:u", "OPERATOR:&", "STRING:x");
  }

  @Test
  void uescapeIsOnlyConsumedAfterAUnicodeLiteral() {
    assertThat(lex("U&'a' x")).containsExactly("STRING:a", "IDENTIFIER:x");
    assertThat(lex("'a' uescape '!'")).containsExactly("STRING:a", "IDENTIFIER:uescape",
        "STRING:!");
  }

  @Test
  void tokensCarryTheirPosition() {
    List<Token> tokens = SqlLexer.tokenize("SET  x = 'y'");
    assertThat(tokens).extracting(Token::start).containsExactly(0, 5, 7, 9);
    assertThat(tokens).extracting(Token::end).containsExactly(3, 6, 8, 12);
  }

  @Test
  void identifiersAreTruncatedTo63Bytes() {
    String longName = "a".repeat(70);
    assertThat(single(longName, IDENTIFIER)).isEqualTo("a".repeat(63));
    assertThat(single("\"" + "B".repeat(64) + "\"", QUOTED_IDENTIFIER)).isEqualTo("B".repeat(63));
    // never in the middle of a character: 31 two-byte characters are 62 bytes
    assertThat(single("é".repeat(40), IDENTIFIER)).isEqualTo("é".repeat(31));
    assertThat(single("'" + "a".repeat(100) + "'", STRING)).hasSize(100);
  }

  @Test
  void standardConformingStringsOffTakesBackslashEscapes() {
    SqlLexer lexer = new SqlLexer("'it\\'s' 'a\\nb'", false);
    assertThat(lexer.next().text()).isEqualTo("it's");
    assertThat(lexer.next().text()).isEqualTo("a\nb");
    assertThat(lexer.next()).isNull();
    assertThat(lexer.failed()).isFalse();
    SqlLexer unicode = new SqlLexer("U&'x'", false);
    assertThat(unicode.next()).isNull();
    assertThat(unicode.failed()).isTrue();
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @ValueSource(strings = {
      "'unterminated",
      "'ends with a doubled quote''",
      "E'ends with an escaped quote\\'",
      "E'\\",
      "\"unterminated identifier",
      "\"\"",
      "U&\"\"",
      "/* unterminated comment",
      "/* nested /* only one closed */",
      "$$ unterminated dollar",
      "$a$ closed by another tag $b$",
      "B'101",
      "E'\\u12'",
      "E'\\U1234'",
      "E'\\uD83D'",
      "E'\\uD83Dx'",
      "E'\\u0000'",
      "E'\\000'",
      "E'\\xff'",
      "U&'\\12'",
      "U&'\\D83D'",
      "U&'\\DE00'",
      "U&'x' UESCAPE 'ab'",
      "U&'x' UESCAPE 'a'",
      "U&'x' UESCAPE '+'",
      "U&'x' UESCAPE",
      "1abc",
      "0x",
      "0xg",
      "1e",
      "1.5x",
      "1__0",
      "1_",
      "$1a",
      "SELECT 1; SELECT 'x",
  })
  void lexicalErrorsEndTheStreamAndSetFailed(String sql) {
    SqlLexer lexer = new SqlLexer(sql);
    assertThatCode(() -> {
      while (lexer.next() != null) {
        // drain
      }
    }).doesNotThrowAnyException();
    assertThat(lexer.failed()).as(sql).isTrue();
    assertThat(lexer.next()).isNull();
  }

  @Test
  void randomInputNeverThrows() {
    String alphabet = "'\"$/*-;\\eEuU&bBxX0123456789._ \n\tSETsetabc()+=:!@#é\uD83D\uDE00";
    Random random = new Random(7);
    for (int n = 0; n < 20_000; n++) {
      StringBuilder sb = new StringBuilder();
      int len = random.nextInt(40);
      for (int i = 0; i < len; i++) {
        sb.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String sql = sb.toString();
      assertThatCode(() -> {
        SqlLexer lexer = new SqlLexer(sql, random.nextBoolean());
        int guard = 0;
        while (lexer.next() != null) {
          assertThat(++guard).as("progress on %s", sql).isLessThanOrEqualTo(sql.length() + 1);
        }
        StatementClassifier.classifyWithoutPrecheck(sql, true);
      }).as(sql).doesNotThrowAnyException();
    }
  }
}
