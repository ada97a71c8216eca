package dev.breakwater.server.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import javax.net.ssl.SSLException;
import org.junit.jupiter.api.Test;

/** PgBouncer's cipher settings, in OpenSSL syntax, turned into the JDK's suite names. */
class TlsCiphersTest {

  @Test
  void pgbouncersWordsAndNothingKeepTheJdkDefaults() throws Exception {
    for (String w : new String[] {null, "", "default", "secure", "fast", "normal", "all", "legacy", "SECURE"}) {
      assertThat(Tls.cipherSuites(w, "", "client")).as(String.valueOf(w)).isNull();
    }
  }

  @Test
  void opensslNamesBecomeJdkNamesAndTls13KeepsItsDefaults() throws Exception {
    List<String> suites =
        Tls.cipherSuites("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256", "", "client");
    assertThat(suites)
        .contains("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        .contains("TLS_AES_128_GCM_SHA256")
        .doesNotContain("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
  }

  @Test
  void selectionWordsStandForTheJdkDefaultsAndNegationsRemoveNamedSuites() throws Exception {
    List<String> high = Tls.cipherSuites("HIGH:!aNULL:!MD5", "", "server");
    assertThat(high).contains("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_AES_256_GCM_SHA384");
    List<String> without = Tls.cipherSuites("HIGH:!ECDHE-ECDSA-AES256-GCM-SHA384", "", "server");
    assertThat(without).doesNotContain("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384").isNotEmpty();
  }

  @Test
  void tls13CiphersChooseTheTls13Suites() throws Exception {
    List<String> suites = Tls.cipherSuites("default", "TLS_CHACHA20_POLY1305_SHA256", "client");
    assertThat(suites.stream().filter(s -> s.startsWith("TLS_AES_") || s.startsWith("TLS_CHACHA20_")))
        .containsExactly("TLS_CHACHA20_POLY1305_SHA256");
    assertThat(suites).contains("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
  }

  @Test
  void settingsThatNameNoAvailableSuiteAreRefused() {
    assertThatThrownBy(() -> Tls.cipherSuites("default", "unknown", "client"))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("client_tls13_ciphers: failed to set the TLSv1.3 cipher suites");
    assertThatThrownBy(() -> Tls.cipherSuites("TLS_NO_SUCH_SUITE", "", "server"))
        .isInstanceOf(SSLException.class)
        .hasMessageContaining("server_tls_ciphers: none of the ciphers is available");
  }
}
