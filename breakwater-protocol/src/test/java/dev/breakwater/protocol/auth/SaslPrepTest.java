package dev.breakwater.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SASLprep as PostgreSQL's pg_saslprep applies it, raw password on failure included. */
class SaslPrepTest {

  @Test
  void asciiIsUsedAsItIs() {
    // Control characters are prohibited by SASLprep, but PostgreSQL never preps ASCII.
    assertThat(SaslPrep.prepare("pa\tss\u007F")).isEqualTo("pa\tss\u007F");
  }

  @Test
  void mapsAndNormalizes() {
    assertThat(SaslPrep.prepare("A\u030Angstro\u0308M")).isEqualTo("\u00C5ngstr\u00F6M");
    assertThat(SaslPrep.prepare("\u00C5ngstr\u00F6M")).isEqualTo("\u00C5ngstr\u00F6M");
    assertThat(SaslPrep.prepare("I\u00ADX")).isEqualTo("IX");
    assertThat(SaslPrep.prepare("\u2168")).isEqualTo("IX");
    assertThat(SaslPrep.prepare("a\u3000b\u00A0c")).isEqualTo("a b c");
    assertThat(SaslPrep.prepare("\uFB01")).isEqualTo("fi");
  }

  @Test
  void failuresFallBackToTheRawPassword() {
    // Private use (C.3), after a character that would have been mapped to nothing.
    assertThat(SaslPrep.prepare("\u00C5\u00ADb\uE000")).isEqualTo("\u00C5\u00ADb\uE000");
    // U+1F600 was unassigned in Unicode 3.2 (A.1).
    assertThat(SaslPrep.prepare("\u2168\uD83D\uDE00")).isEqualTo("\u2168\uD83D\uDE00");
    // Hebrew alef then a Latin letter: RandALCat and LCat together.
    assertThat(SaslPrep.prepare("\u05D0\u00ADa")).isEqualTo("\u05D0\u00ADa");
    // Hebrew that does not end with a RandALCat character.
    assertThat(SaslPrep.prepare("\u05D0\u05D11")).isEqualTo("\u05D0\u05D11");
    assertThat(SaslPrep.prepare("\u05D0\u00AD\u05D1")).isEqualTo("\u05D0\u05D1");
    // Only characters mapped to nothing: an empty result is refused.
    assertThat(SaslPrep.prepare("\u00AD\uFEFF")).isEqualTo("\u00AD\uFEFF");
    // U+200B is both a non-ASCII space (C.1.2) and mapped to nothing (B.1): a space first.
    assertThat(SaslPrep.prepare("\u00C5\u200B")).isEqualTo("\u00C5 ");
    // Line separator: a space to Character.isSpaceChar, prohibited (C.2.2) to SASLprep.
    assertThat(SaslPrep.prepare("x\u00ADy\u2028")).isEqualTo("x\u00ADy\u2028");
    // An unpaired surrogate is not UTF-8.
    assertThat(SaslPrep.prepare("\u00C5\u00AD\uD800")).isEqualTo("\u00C5\u00AD\uD800");
  }
}
