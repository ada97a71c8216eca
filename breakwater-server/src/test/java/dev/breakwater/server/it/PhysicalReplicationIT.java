package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.serverError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;
import org.postgresql.util.ServerErrorMessage;

/**
 * Physical replication connections ({@code replication=true}) through the pooler, in transaction
 * pooling: a physical walsender takes replication commands only, so the pooler must send it
 * nothing of its own (no SET for the client's settings, no state check, no reset); WAL streams
 * through; a role that may not replicate gets PostgreSQL's refusal as a failed login.
 */
class PhysicalReplicationIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolMode("transaction").poolSize(3).start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static Properties physical() {
    Properties p = new Properties();
    PGProperty.REPLICATION.set(p, "true");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "9.4");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    return p;
  }

  @Test
  void takesReplicationCommandsWithTheClientsSettings() throws Exception {
    Properties p = physical();
    PGProperty.APPLICATION_NAME.set(p, "physical-it");
    PGProperty.OPTIONS.set(p, "-c work_mem=7MB");
    try (Connection c = pooler.connect(Roles.DATABASE, Roles.ADMIN, Roles.password(Roles.ADMIN), p);
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString("systemid")).isNotEmpty();
        assertThat(rs.getString("dbname")).as("a physical walsender is on no database").isNull();
      }
      // SHOW is a replication command; the values came in the startup packet (SET is refused).
      assertThat(Sql.one(c, "SHOW application_name")).isEqualTo("physical-it");
      assertThat(Sql.one(c, "SHOW work_mem")).isEqualTo("7MB");
      ServerErrorMessage m = serverError(() -> Sql.one(c, "SELECT 1"));
      assertThat(m.getSQLState()).isEqualTo("0A000");
      assertThat(m.getMessage()).isEqualTo("cannot execute SQL commands in WAL sender for physical replication");
      // The refusal came from PostgreSQL, and the link carries on.
      try (ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
        assertThat(rs.next()).isTrue();
      }
    }
  }

  @Test
  void streamsWal() throws Exception {
    try (Connection c = pooler.connect(Roles.DATABASE, Roles.ADMIN, Roles.password(Roles.ADMIN), physical())) {
      LogSequenceNumber from;
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("IDENTIFY_SYSTEM")) {
        rs.next();
        from = LogSequenceNumber.valueOf(rs.getString("xlogpos"));
      }
      try (PGReplicationStream stream =
          c.unwrap(PGConnection.class).getReplicationAPI().replicationStream().physical().withStartPosition(from).start()) {
        try (Connection w = pooler.connect(Roles.ADMIN)) {
          Sql.exec(w, "CREATE TEMP TABLE wal_it AS SELECT generate_series(1, 100) AS a");
        }
        int bytes = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (bytes == 0 && System.nanoTime() < deadline) {
          ByteBuffer b = stream.readPending();
          if (b == null) {
            Thread.sleep(20);
          } else {
            bytes += b.remaining();
          }
        }
        assertThat(bytes).as("WAL streamed through the pooler").isPositive();
        assertThat(stream.getLastReceiveLSN().asLong()).isGreaterThanOrEqualTo(from.asLong());
      }
    }
  }

  @Test
  void hbaAdmitsPhysicalReplicationByReplicationLinesOnly() throws Exception {
    java.nio.file.Path hba = java.nio.file.Files.createTempFile("bw-hba-", ".conf");
    try {
      java.nio.file.Files.writeString(
          hba,
          "host replication " + Roles.ADMIN + " 127.0.0.1/32 scram-sha-256\n"
              + "host all all 127.0.0.1/32 scram-sha-256\n");
      try (Pooler p = Pooler.builder().set("auth_type", "hba").set("auth_hba_file", hba.toString()).start()) {
        try (Connection c = p.connect(Roles.DATABASE, Roles.ADMIN, Roles.password(Roles.ADMIN), physical())) {
          assertThat(Sql.one(c, "IDENTIFY_SYSTEM")).isNotEmpty();
        }
        // "all" does not cover physical replication: refused by the pooler, before any server.
        ServerErrorMessage m =
            serverError(() -> p.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), physical()).close());
        assertThat(m.getSQLState()).isEqualTo("28000");
        assertThat(m.getMessage()).startsWith("no pg_hba.conf entry for host");
        try (Connection c = p.connect(Roles.PLAIN)) {
          assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
        }
      }
    } finally {
      java.nio.file.Files.deleteIfExists(hba);
    }
  }

  @Test
  void aRoleWithoutReplicationIsRefusedByPostgres() throws Exception {
    ServerErrorMessage m =
        serverError(() -> pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), physical()).close());
    assertThat(m.getSQLState()).isEqualTo("42501");
    assertThat(m.getMessage()).isEqualTo("login failed: permission denied to start WAL sender");
    assertThat(m.getDetail()).contains("REPLICATION");
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
    }
  }
}
