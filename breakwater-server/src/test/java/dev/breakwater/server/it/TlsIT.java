package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestCertificates;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS on both sides: clients with sslmode=require and verify-full, plain clients refused under
 * require, direct TLS with ALPN, and Breakwater verifying a PostgreSQL that accepts TLS only.
 */
class TlsIT {

  static TestCertificates ca;
  static TestCertificates otherCa;
  static TestPostgres pg;
  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.newAuthority("bw-test");
    otherCa = TestCertificates.newAuthority("someone-else");
    pg = TestPostgres.startPrivate();
    pg.requireTls(ca.issue("postgres-server", "localhost", "127.0.0.1"));
    TestCertificates.Issued pooler_cert = ca.issue("breakwater", "localhost", "127.0.0.1");
    pooler =
        Pooler.builder(pg)
            .set("client_tls_sslmode", "require")
            .set("client_tls_cert_file", pooler_cert.certificate().toString())
            .set("client_tls_key_file", pooler_cert.key().toString())
            .set("server_tls_sslmode", "verify-full")
            .set("server_tls_ca_file", ca.caFile().toString())
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
    pg.close();
    ca.close();
    otherCa.close();
  }

  private static Properties ssl(String mode) {
    Properties p = new Properties();
    p.setProperty("sslmode", mode);
    return p;
  }

  @Test
  void requireEncryptsBothLegs() throws Exception {
    try (Connection c = pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), ssl("require"));
        ResultSet rs = c.createStatement().executeQuery("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")) {
      rs.next();
      assertThat(rs.getBoolean(1)).as("Breakwater to PostgreSQL is TLS").isTrue();
    }
  }

  @Test
  void verifyFullChecksBreakwatersCertificate() throws Exception {
    Properties p = ssl("verify-full");
    p.setProperty("sslrootcert", ca.caFile().toString());
    try (Connection c = pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), p)) {
      assertThat(c.isValid(2)).isTrue();
    }
    Properties wrong = ssl("verify-full");
    wrong.setProperty("sslrootcert", otherCa.caFile().toString());
    assertThatThrownBy(() -> pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), wrong))
        .isInstanceOf(SQLException.class);
  }

  @Test
  void aPlainClientIsRefusedUnderRequire() {
    assertThatThrownBy(() -> pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), ssl("disable")))
        .isInstanceOf(SQLException.class)
        .hasMessageContaining("SSL required")
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
  }

  @Test
  void directTlsWithAlpnIsAccepted() throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (var in = java.nio.file.Files.newInputStream(ca.caFile())) {
      trust.setCertificateEntry("ca", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", pooler.port())) {
      SSLParameters params = s.getSSLParameters();
      params.setApplicationProtocols(new String[] {"postgresql"});
      s.setSSLParameters(params);
      s.setSoTimeout(5000);
      s.startHandshake();
      assertThat(s.getApplicationProtocol()).isEqualTo("postgresql");
      DataOutputStream out = new DataOutputStream(s.getOutputStream());
      byte[] body = ("user\0" + Roles.PLAIN + "\0database\0" + Roles.DATABASE + "\0\0").getBytes(StandardCharsets.UTF_8);
      out.writeInt(8 + body.length);
      out.writeInt(3 << 16);
      out.write(body);
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      assertThat((char) in.readByte()).as("an authentication request, over TLS").isEqualTo('R');
      in.readInt();
      assertThat(in.readInt()).as("SASL for scram-sha-256").isEqualTo(10);
    }
  }

  @Test
  void aServerCertificateFromAnotherCaIsRefused() throws Exception {
    TestCertificates.Issued cert = ca.issue("breakwater2", "127.0.0.1");
    try (Pooler strict =
        Pooler.builder(pg)
            .set("server_tls_sslmode", "verify-full")
            .set("server_tls_ca_file", otherCa.caFile().toString())
            .set("client_tls_sslmode", "prefer")
            .set("client_tls_cert_file", cert.certificate().toString())
            .set("client_tls_key_file", cert.key().toString())
            .start()) {
      assertThatThrownBy(() -> strict.connect(Roles.PLAIN))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("TLS handshake")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08006"));
    }
  }

  @Test
  void withoutTlsPostgresRefusesBreakwater() throws Exception {
    try (Pooler plain = Pooler.builder(pg).set("server_tls_sslmode", "disable").start()) {
      assertThatThrownBy(() -> plain.connect(Roles.PLAIN))
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("no encryption");
    }
  }
}
