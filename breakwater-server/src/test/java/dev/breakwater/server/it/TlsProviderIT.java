package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestCertificates;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.handler.ssl.OpenSsl;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both TLS implementations, BoringSSL (tls_provider = openssl, auto's choice on Linux x86-64) and
 * the JDK's fallback, on both legs: a verify-full client, Breakwater verifying PostgreSQL, the
 * cipher as SHOW CLIENTS prints it, and a client that does not trust Breakwater's certificate.
 */
class TlsProviderIT {

  static TestCertificates ca;
  static TestCertificates otherCa;
  static TestPostgres pg;
  static TestCertificates.Issued poolerCert;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.newAuthority("bw-test");
    otherCa = TestCertificates.newAuthority("someone-else");
    pg = TestPostgres.startPrivate();
    pg.requireTls(ca.issue("postgres-server", "localhost", "127.0.0.1"));
    poolerCert = ca.issue("breakwater", "localhost", "127.0.0.1");
  }

  @AfterAll
  static void stop() {
    pg.close();
    ca.close();
    otherCa.close();
  }

  private static Pooler pooler(String provider) throws Exception {
    return Pooler.builder(pg)
        .set("tls_provider", provider)
        .set("admin_users", Roles.PLAIN)
        .set("client_tls_sslmode", "require")
        .set("client_tls_cert_file", poolerCert.certificate().toString())
        .set("client_tls_key_file", poolerCert.key().toString())
        .set("server_tls_sslmode", "verify-full")
        .set("server_tls_ca_file", ca.caFile().toString())
        .start();
  }

  private static Properties verifyFull(TestCertificates trusted) {
    Properties p = new Properties();
    p.setProperty("sslmode", "verify-full");
    p.setProperty("sslrootcert", trusted.caFile().toString());
    return p;
  }

  @ParameterizedTest
  @ValueSource(strings = {"openssl", "jdk", "auto"})
  void bothLegsAreEncryptedAndVerified(String provider) throws Exception {
    try (Pooler pooler = pooler(provider)) {
      String expected = provider.equals("jdk") || !OpenSsl.isAvailable() ? "JDK" : "BoringSSL";
      assertThat(pooler.breakwater().frontend().tls().providerName()).startsWith(expected);
      try (Connection c = pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), verifyFull(ca));
          ResultSet rs = c.createStatement().executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
        rs.next();
        assertThat(rs.getBoolean(1)).as("Breakwater to PostgreSQL is TLS").isTrue();
      }
      Properties console = verifyFull(ca);
      console.setProperty("preferQueryMode", "simple");
      try (Connection admin = pooler.connect("pgbouncer", Roles.PLAIN, Roles.password(Roles.PLAIN), console);
          ResultSet rs = admin.createStatement().executeQuery("SHOW CLIENTS")) {
        int tlsColumn = rs.findColumn("tls");
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(tlsColumn)).as("PgBouncer's protocol/cipher form").matches("TLSv1\\.[23]/[A-Z0-9_-]+");
      }
      assertThatThrownBy(
              () -> pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), verifyFull(otherCa)))
          .isInstanceOf(SQLException.class);
    }
  }
}
