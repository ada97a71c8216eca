package dev.breakwater.server;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogTextTest {

  @Test
  void plainTextIsReturnedAsItIs() {
    String s = "bwtest/bw_plain é 漢字";
    assertThat(LogText.escape(s)).isSameAs(s);
    assertThat(LogText.escape(null)).isNull();
  }

  @Test
  void lineBreaksAndControlsAreEscaped() {
    assertThat(LogText.escape("db\r\n2026-12-05 ERROR forged"))
        .isEqualTo("db\\r\\n2026-12-05 ERROR forged");
    assertThat(LogText.escape("a\tb\u001b[31mc\u007f\u0085d\u2028e\u0000"))
        .isEqualTo("a\\tb\\x1b[31mc\\x7f\\x85d\\u2028e\\x00");
  }

  @Test
  void aPoolNamedByAClientIsEscaped() {
    // Through the * fallback, a client names the database of a pool, and lines about the pool show it.
    assertThat(new dev.breakwater.server.pool.PoolKey("db\nERROR forged", "bw_plain").toString())
        .isEqualTo("db\\nERROR forged/bw_plain");
  }
}
