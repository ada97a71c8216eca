package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.server.Control;
import dev.breakwater.testkit.TestCertificates;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.StringWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Properties;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Client-side TLS changed while running, as PgBouncer's console SET does: the contexts follow the
 * settings once they make a valid configuration, keys in OpenSSL's traditional form (SEC1) are
 * read, auth_type cert logs in the user the client certificate names, Unix socket clients are not
 * asked for TLS, and OpenSSL cipher strings are understood.
 */
class TlsReconfigureIT {

  static TestCertificates ca;
  static TestCertificates otherCa;
  static TestCertificates.Issued site;
  static Path siteSec1Key;
  static TestCertificates.Issued otherSite;
  static Path otherSiteSec1Key;

  @BeforeAll
  static void certificates() throws Exception {
    ca = TestCertificates.newAuthority("reconf-ca");
    otherCa = TestCertificates.newAuthority("reconf-other");
    site = ca.issue("localhost", "localhost", "127.0.0.1");
    siteSec1Key = traditional(site.key());
    otherSite = otherCa.issue("other-localhost", "localhost", "127.0.0.1");
    otherSiteSec1Key = traditional(otherSite.key());
  }

  @AfterAll
  static void cleanUp() {
    ca.close();
    otherCa.close();
  }

  /**
   * The key rewritten as {@code openssl ecparam -genkey} writes it: an EC PARAMETERS block, then
   * the key in OpenSSL's traditional form, BEGIN EC PRIVATE KEY (SEC1, naming its curve).
   */
  static Path traditional(Path pkcs8) throws Exception {
    PrivateKeyInfo info;
    try (PEMParser in = new PEMParser(Files.newBufferedReader(pkcs8))) {
      info = (PrivateKeyInfo) in.readObject();
    }
    ASN1Encodable curve = info.getPrivateKeyAlgorithm().getParameters();
    java.math.BigInteger d =
        org.bouncycastle.asn1.sec.ECPrivateKey.getInstance(info.parsePrivateKey()).getKey();
    byte[] sec1 = new org.bouncycastle.asn1.sec.ECPrivateKey(256, d, curve).getEncoded();
    StringWriter sw = new StringWriter();
    try (PemWriter w = new PemWriter(sw)) {
      w.writeObject(new PemObject("EC PARAMETERS", curve.toASN1Primitive().getEncoded()));
      w.writeObject(new PemObject("EC PRIVATE KEY", sec1));
    }
    Path out = pkcs8.resolveSibling(pkcs8.getFileName() + ".sec1");
    Files.writeString(out, sw.toString());
    return out;
  }

  private static Properties verifyFull(TestCertificates root) {
    Properties p = new Properties();
    p.setProperty("sslmode", "verify-full");
    p.setProperty("sslrootcert", root.caFile().toString());
    return p;
  }

  private static Properties plain() {
    Properties p = new Properties();
    p.setProperty("sslmode", "disable");
    return p;
  }

  private static Connection connect(Pooler pooler, Properties p) throws SQLException {
    // pgjdbc checks the host name against the certificate: connect by name.
    String url = "jdbc:postgresql://localhost:" + pooler.port() + "/" + Roles.DATABASE;
    Properties all = new Properties();
    all.setProperty("user", Roles.PLAIN);
    all.setProperty("password", Roles.password(Roles.PLAIN));
    all.putAll(p);
    return java.sql.DriverManager.getConnection(url, all);
  }

  @Test
  void setTurnsClientTlsOnAndOff() throws Exception {
    try (Pooler pooler = Pooler.builder().set("listen_addr", "127.0.0.1").start()) {
      Control control = pooler.breakwater().control();
      // sslmode is still disable: nothing to build yet, nothing to complain about.
      assertThat(control.set("client_tls_key_file", siteSec1Key.toString())).isEmpty();
      assertThat(control.set("client_tls_cert_file", site.certificate().toString())).isEmpty();
      assertThat(control.set("client_tls_ca_file", ca.caFile().toString())).isEmpty();
      assertThat(control.set("client_tls_sslmode", "require")).isEmpty();
      try (Connection c = connect(pooler, verifyFull(ca))) {
        assertThat(c.isValid(2)).isTrue();
      }
      assertThatThrownBy(() -> connect(pooler, plain()).close()).hasMessageContaining("SSL required");

      assertThat(control.set("client_tls_sslmode", "disable")).isEmpty();
      try (Connection c = connect(pooler, plain())) {
        assertThat(c.isValid(2)).isTrue();
      }
    }
  }

  @Test
  void aKeyThatDoesNotMatchTheCertificateKeepsTheOldContexts() throws Exception {
    try (Pooler pooler =
        Pooler.builder()
            .set("listen_addr", "127.0.0.1")
            .set("client_tls_sslmode", "require")
            .set("client_tls_key_file", siteSec1Key.toString())
            .set("client_tls_cert_file", site.certificate().toString())
            .start()) {
      Control control = pooler.breakwater().control();
      // The new CA's key first, its certificate next: in between, key and certificate disagree.
      assertThat(control.set("client_tls_key_file", otherSiteSec1Key.toString()))
          .hasValue("TLS settings could not be applied, still using old configuration");
      try (Connection c = connect(pooler, verifyFull(ca))) {
        assertThat(c.isValid(2)).as("the old certificate still serves").isTrue();
      }
      assertThat(control.set("client_tls_cert_file", otherSite.certificate().toString())).isEmpty();
      try (Connection c = connect(pooler, verifyFull(otherCa))) {
        assertThat(c.isValid(2)).isTrue();
      }
      assertThatThrownBy(() -> connect(pooler, verifyFull(ca)).close()).isInstanceOf(SQLException.class);
    }
  }

  @Test
  void aUnixSocketClientIsExemptFromRequire(@TempDir Path dir) throws Exception {
    // PgBouncer's rule, which its test suite relies on to reach the console while TLS is required.
    try (Pooler pooler =
        Pooler.builder()
            .set("unix_socket_dir", dir.toString())
            .set("client_tls_sslmode", "require")
            .set("client_tls_key_file", siteSec1Key.toString())
            .set("client_tls_cert_file", site.certificate().toString())
            .start()) {
      assumeTrue(pooler.breakwater().transport().serverDomainChannel() != null, "Unix sockets need epoll or io_uring");
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(dir.resolve(".s.PGSQL." + pooler.port())));
        byte[] body = "user\0pgbouncer\0database\0pgbouncer\0\0".getBytes(StandardCharsets.UTF_8);
        ByteBuffer startup = ByteBuffer.allocate(8 + body.length);
        startup.putInt(8 + body.length).putInt(3 << 16).put(body).flip();
        ch.write(startup);
        ByteBuffer reply = ByteBuffer.allocate(9);
        while (reply.hasRemaining() && ch.read(reply) >= 0) {
          // until the first message's header and code
        }
        reply.flip();
        assertThat((char) reply.get()).as("no \"SSL required\" error").isEqualTo('R');
        reply.getInt();
        assertThat(reply.getInt()).as("AuthenticationOk").isZero();
      }
      assertThatThrownBy(() -> connect(pooler, plain()).close())
          .as("over TCP TLS is still required")
          .hasMessageContaining("SSL required");
    }
  }

  /** The key as DER PKCS#8, the form pgjdbc reads for sslkey. */
  static Path der(Path pkcs8Pem) throws Exception {
    try (PEMParser in = new PEMParser(Files.newBufferedReader(pkcs8Pem))) {
      Path out = pkcs8Pem.resolveSibling(pkcs8Pem.getFileName() + ".pk8");
      Files.write(out, ((PrivateKeyInfo) in.readObject()).getEncoded());
      // pgjdbc 42.7.14, as libpq, refuses a client key that others can read.
      Files.setPosixFilePermissions(out, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      return out;
    }
  }

  @Test
  void authTypeCertLogsInTheUserTheCertificateNames() throws Exception {
    TestCertificates.Issued mine = ca.issue(Roles.PLAIN);
    TestCertificates.Issued someoneElse = ca.issue("someone-else");
    TestCertificates.Issued foreign = otherCa.issue(Roles.PLAIN);
    try (Pooler pooler =
        Pooler.builder()
            .set("auth_type", "cert")
            .set("client_tls_sslmode", "verify-full")
            .set("client_tls_key_file", siteSec1Key.toString())
            .set("client_tls_cert_file", site.certificate().toString())
            .set("client_tls_ca_file", ca.caFile().toString())
            .start()) {
      Properties p = verifyFull(ca);
      p.setProperty("sslcert", mine.certificate().toString());
      p.setProperty("sslkey", der(mine.key()).toString());
      p.setProperty("password", "not asked");
      try (Connection c = connect(pooler, p)) {
        assertThat(c.isValid(2)).isTrue();
      }
      p.setProperty("sslcert", someoneElse.certificate().toString());
      p.setProperty("sslkey", der(someoneElse.key()).toString());
      assertThatThrownBy(() -> connect(pooler, p).close())
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("certificate authentication failed")
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28000"));
      p.setProperty("sslcert", foreign.certificate().toString());
      p.setProperty("sslkey", der(foreign.key()).toString());
      assertThatThrownBy(() -> connect(pooler, p).close())
          .as("a certificate from another CA fails the handshake")
          .isInstanceOf(SQLException.class);
    }
  }

  @Test
  void authTypeCertNeedsVerifyFull() {
    assertThatThrownBy(
            () ->
                Pooler.builder()
                    .set("auth_type", "cert")
                    .set("client_tls_sslmode", "require")
                    .set("client_tls_key_file", siteSec1Key.toString())
                    .set("client_tls_cert_file", site.certificate().toString())
                    .set("client_tls_ca_file", ca.caFile().toString())
                    .start()
                    .close())
        .hasMessageContaining("auth_type=cert requires client_tls_sslmode=verify-full");
  }

  /** An OpenSSL cipher string (PgBouncer passes it to OpenSSL) once made every handshake fail. */
  @Test
  void opensslCipherStringsAreUnderstood() throws Exception {
    for (String ciphers : new String[] {"HIGH:!aNULL:!MD5", "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256", "fast"}) {
      try (Pooler pooler =
          Pooler.builder()
              .set("client_tls_sslmode", "require")
              .set("client_tls_key_file", siteSec1Key.toString())
              .set("client_tls_cert_file", site.certificate().toString())
              .set("client_tls_ciphers", ciphers)
              .set("client_tls_protocols", "tlsv1.2")
              .start()) {
        Properties p = new Properties();
        p.setProperty("sslmode", "require");
        try (Connection c = connect(pooler, p)) {
          assertThat(c.isValid(2)).as(ciphers).isTrue();
        }
      }
    }
  }

  @Test
  void theConsoleSetAnswersWithANoticeWhenTheTlsSettingsDoNotYetFit() throws Exception {
    try (Pooler pooler =
            Pooler.builder()
                .set("admin_users", Roles.ADMIN)
                .set("client_tls_sslmode", "require")
                .set("client_tls_key_file", siteSec1Key.toString())
                .set("client_tls_cert_file", site.certificate().toString())
                .start();
        Connection admin = consoleOf(pooler);
        java.sql.Statement st = admin.createStatement()) {
      st.execute("SET client_tls_key_file = '" + otherSiteSec1Key + "'");
      assertThat((Object) st.getWarnings()).isNotNull();
      assertThat(st.getWarnings().getMessage())
          .isEqualTo("TLS settings could not be applied, still using old configuration");
      st.clearWarnings();
      st.execute("SET client_tls_cert_file = '" + otherSite.certificate() + "'");
      assertThat((Object) st.getWarnings()).as("now they fit").isNull();
    }
  }

  private static Connection consoleOf(Pooler pooler) throws SQLException {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    p.setProperty("sslmode", "require");
    return pooler.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), p);
  }

  @Test
  void showClientsTellsEachClientsTls() throws Exception {
    try (Pooler pooler =
            Pooler.builder()
                .set("admin_users", Roles.ADMIN)
                .set("client_tls_sslmode", "prefer")
                .set("client_tls_key_file", siteSec1Key.toString())
                .set("client_tls_cert_file", site.certificate().toString())
                .set("client_tls_protocols", "tlsv1.2")
                .set("client_tls_ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256")
                .start();
        Connection tls = connect(pooler, verifyFull(ca));
        Connection clear = connect(pooler, plain());
        Connection admin = consoleOf(pooler);
        java.sql.ResultSet rs = admin.createStatement().executeQuery("SHOW CLIENTS")) {
      java.util.List<String> seen = new java.util.ArrayList<>();
      while (rs.next()) {
        if (rs.getString("database").equals(Roles.DATABASE)) {
          seen.add(rs.getString("tls"));
        }
      }
      assertThat(seen).containsExactlyInAnyOrder("TLSv1.2/ECDHE-ECDSA-AES128-GCM-SHA256", "");
    }
  }
}
