package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestCertificates;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGProperty;

/**
 * A replication client over TLS, to a PostgreSQL that takes TLS connections only: its walsender
 * is opened with TLS (server_tls_sslmode) like any server, and the relay runs over both legs.
 */
class ReplicationTlsIT {

  static TestCertificates ca;
  static TestPostgres pg;
  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    ca = TestCertificates.newAuthority("bw-test");
    pg = TestPostgres.startPrivate();
    pg.requireTls(ca.issue("postgres-server", "localhost", "127.0.0.1"));
    TestCertificates.Issued poolerCert = ca.issue("breakwater", "localhost", "127.0.0.1");
    pooler =
        Pooler.builder(pg)
            .set("client_tls_sslmode", "require")
            .set("client_tls_cert_file", poolerCert.certificate().toString())
            .set("client_tls_key_file", poolerCert.key().toString())
            .set("server_tls_sslmode", "verify-full")
            .set("server_tls_ca_file", ca.caFile().toString())
            .start();
  }

  @AfterAll
  static void stop() {
    try {
      pooler.close();
    } finally {
      pg.close();
      ca.close();
    }
  }

  @Test
  void aLogicalReplicationClientOverTls() throws Exception {
    Properties p = new Properties();
    p.setProperty("sslmode", "verify-full");
    p.setProperty("sslrootcert", ca.caFile().toString());
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    try (Connection c = pooler.connect(Roles.DATABASE, Roles.ADMIN, Roles.password(Roles.ADMIN), p)) {
      assertThat(Sql.one(c, "IDENTIFY_SYSTEM")).isNotEmpty();
      assertThat(
              Sql.one(
                  c,
                  "SELECT a.backend_type || '/' || s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)"
                      + " WHERE pid = pg_backend_pid()"))
          .isEqualTo("walsender/true");
    }
  }
}
