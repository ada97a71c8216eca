package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.server.Control;
import dev.breakwater.testkit.TestCertificates;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Server-side TLS changed while running, as PgBouncer's console SET does: the new mode or CA takes
 * effect for the next server at once (a login error remembered from the old settings does not
 * make clients wait for server_login_retry), servers made under the old settings are replaced,
 * and Breakwater presents a client certificate whose key is in OpenSSL's SEC1 form to a
 * PostgreSQL that asks for one (pg_hba "cert").
 */
class ServerTlsReconfigureIT {

  static TestCertificates ca;
  static TestCertificates otherCa;
  static TestPostgres pg;
  static TestCertificates.Issued trustRoleCert;
  static Path trustRoleSec1Key;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.newAuthority("srv-reconf-ca");
    otherCa = TestCertificates.newAuthority("srv-reconf-other");
    pg = TestPostgres.startPrivate();
    pg.requireTls(ca.issue("postgres-server", "localhost", "127.0.0.1"));
    // The trust role must show a certificate from the CA that names it; the others log in as usual.
    Path hba = pg.dataDirectory().resolve("pg_hba.conf");
    String rules = Files.readString(hba);
    Files.writeString(
        hba,
        rules.replace(
            "hostssl all " + Roles.TRUST + " 127.0.0.1/32 trust",
            "hostssl all " + Roles.TRUST + " 127.0.0.1/32 cert"));
    Path caCopy = pg.dataDirectory().resolve("client-ca.crt");
    Files.copy(ca.caFile(), caCopy);
    pg.execute("ALTER SYSTEM SET ssl_ca_file = 'client-ca.crt'", "SELECT pg_reload_conf()");
    Thread.sleep(300);
    trustRoleCert = ca.issue(Roles.TRUST);
    trustRoleSec1Key = TlsReconfigureIT.traditional(trustRoleCert.key());
  }

  @AfterAll
  static void stop() {
    pg.close();
    ca.close();
    otherCa.close();
  }

  @Test
  void setServerTlsSslmodeTakesEffectAtOnce() throws Exception {
    try (Pooler pooler =
        Pooler.builder(pg).set("server_tls_sslmode", "disable").set("server_login_retry", "60").start()) {
      assertThatThrownBy(() -> pooler.connect(Roles.PLAIN).close())
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("no encryption");
      assertThat(pooler.breakwater().control().set("server_tls_sslmode", "require")).isEmpty();
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        assertThat(c.isValid(2)).as("no wait for server_login_retry: the error was the old mode's").isTrue();
      }
    }
  }

  @Test
  void setServerTlsCaFileTakesEffectAtOnce() throws Exception {
    try (Pooler pooler =
        Pooler.builder(pg)
            .set("server_tls_sslmode", "verify-full")
            .set("server_tls_ca_file", otherCa.caFile().toString())
            .set("server_login_retry", "60")
            .start()) {
      assertThatThrownBy(() -> pooler.connect(Roles.PLAIN).close())
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("TLS handshake");
      assertThat(pooler.breakwater().control().set("server_tls_ca_file", ca.caFile().toString())).isEmpty();
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        assertThat(c.isValid(2)).isTrue();
      }
    }
  }

  @Test
  void aChangeOfServerTlsSettingsReplacesServersAndNoChangeKeepsThem() throws Exception {
    try (Pooler pooler = Pooler.builder(pg).set("server_tls_sslmode", "require").start()) {
      Control control = pooler.breakwater().control();
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        c.createStatement().execute("SELECT 1");
      }
      assertThat(pooler.backendsOf(Roles.PLAIN)).as("one idle server").isEqualTo(1);
      control.set("server_tls_sslmode", "require");
      control.set("default_pool_size", "20");
      Thread.sleep(300);
      assertThat(pooler.backendsOf(Roles.PLAIN)).as("nothing changed for TLS: kept").isEqualTo(1);
      control.set("server_tls_protocols", "tlsv1.2");
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (pooler.backendsOf(Roles.PLAIN) > 0 && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(pooler.backendsOf(Roles.PLAIN)).as("made under the old TLS settings: replaced").isZero();
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        assertThat(c.isValid(2)).isTrue();
      }
    }
  }

  @Test
  void aClientCertificateWithASec1KeyIsPresentedToPostgres() throws Exception {
    try (Pooler pooler =
        Pooler.builder(pg)
            .set("server_tls_sslmode", "verify-full")
            .set("server_tls_ca_file", ca.caFile().toString())
            .set("server_login_retry", "60")
            .start()) {
      assertThatThrownBy(() -> pooler.connect(Roles.TRUST).close())
          .as("no certificate yet")
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("certificate");
      Control control = pooler.breakwater().control();
      control.set("server_tls_key_file", trustRoleSec1Key.toString());
      assertThat(control.set("server_tls_cert_file", trustRoleCert.certificate().toString())).isEmpty();
      try (Connection c = pooler.connect(Roles.TRUST)) {
        assertThat(c.isValid(2)).isTrue();
      }
    }
  }

  @Test
  void aReloadAfterTheCaFileChangedOnDiskReplacesServers() throws Exception {
    Path caFile = Files.createTempFile("bw-rotating-ca-", ".crt");
    try {
      Files.copy(ca.caFile(), caFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      try (Pooler pooler =
          Pooler.builder(pg)
              .set("server_tls_sslmode", "verify-ca")
              .set("server_tls_ca_file", caFile.toString())
              .start()) {
        try (Connection c = pooler.connect(Roles.PLAIN)) {
          c.createStatement().execute("SELECT 1");
        }
        pooler.breakwater().control().reload();
        Thread.sleep(300);
        assertThat(pooler.backendsOf(Roles.PLAIN)).as("same settings, same files: kept").isEqualTo(1);
        // The same path, new contents (a second CA added, as when rotating).
        Files.writeString(caFile, Files.readString(ca.caFile()) + Files.readString(otherCa.caFile()));
        pooler.breakwater().control().reload();
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (pooler.backendsOf(Roles.PLAIN) > 0 && System.nanoTime() < deadline) {
          Thread.sleep(50);
        }
        assertThat(pooler.backendsOf(Roles.PLAIN)).as("the CA file changed: replaced").isZero();
      }
    } finally {
      Files.deleteIfExists(caFile);
    }
  }

  @Test
  void showServersTellsEachServersTls() throws Exception {
    try (Pooler pooler =
            Pooler.builder(pg)
                .set("admin_users", Roles.ADMIN)
                .set("server_tls_sslmode", "require")
                .set("server_tls_protocols", "tlsv1.3")
                .set("server_tls13_ciphers", "TLS_CHACHA20_POLY1305_SHA256")
                .start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      c.createStatement().execute("SELECT 1");
      java.util.Properties p = new java.util.Properties();
      p.setProperty("preferQueryMode", "simple");
      try (Connection admin = pooler.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), p);
          java.sql.ResultSet rs = admin.createStatement().executeQuery("SHOW SERVERS")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("tls")).isEqualTo("TLSv1.3/TLS_CHACHA20_POLY1305_SHA256");
      }
    }
  }
}
