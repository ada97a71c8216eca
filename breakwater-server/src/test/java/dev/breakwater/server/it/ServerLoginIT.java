package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.serverError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.util.ServerErrorMessage;

/**
 * Breakwater logging in to PostgreSQL with each method the server may ask for: trust, cleartext,
 * md5 (from an md5 hash), SCRAM from a plain password, and SCRAM pass-through with the keys
 * recovered from a client's proof when the auth file holds only a verifier. Also forced users and
 * a wrong server password in a database entry.
 */
class ServerLoginIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler =
        Pooler.builder()
            .database("forced = dbname=bwtest user=bw_plain password=bw_plain_pw")
            .database("forcedscram = dbname=bwtest user=bw_admin password=bw_admin_pw")
            .database("badpw = dbname=bwtest user=bw_plain password=wrong_pw")
            .database("badscram = dbname=bwtest user=bw_admin password=wrong_pw")
            .database("badmd5 = dbname=bwtest user=bw_md5 password=wrong_pw")
            .database("deadport = dbname=bwtest port=" + TestPostgres.freePort())
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  /** current_user and the backend pid PostgreSQL sees, through the pooler. */
  private static void assertServerUser(Connection c, String user) throws Exception {
    assertThat(Sql.one(c, "SELECT session_user")).isEqualTo(user);
    assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(user);
  }

  @Test
  void trust() throws Exception {
    try (Connection c = pooler.connect(Roles.TRUST)) {
      assertServerUser(c, Roles.TRUST);
    }
  }

  @Test
  void cleartext() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertServerUser(c, Roles.PLAIN);
    }
  }

  @Test
  void md5FromTheMd5HashInTheAuthFile() throws Exception {
    // An md5 secret cannot check a SCRAM client: the client side uses md5 (and plain) here.
    for (String authType : new String[] {"md5", "plain"}) {
      try (Pooler p = Pooler.builder().set("auth_type", authType).start();
          Connection c = p.connect(Roles.MD5)) {
        assertServerUser(c, Roles.MD5);
      }
    }
  }

  @Test
  void scramFromAPlainPassword() throws Exception {
    // bw_admin: plain text in the auth file, SCRAM on the server.
    try (Connection c = pooler.connect(Roles.ADMIN)) {
      assertServerUser(c, Roles.ADMIN);
    }
  }

  @Test
  void scramPassThrough() throws Exception {
    // bw_scram: the auth file holds only the verifier; the server asks SCRAM.
    try (Connection a = pooler.connect(Pooler.VERIFIER_ONLY);
        Connection b = pooler.connect(Pooler.VERIFIER_ONLY)) {
      assertServerUser(a, Pooler.VERIFIER_ONLY);
      // Two transactions at once force a second server login with the same recovered keys.
      a.setAutoCommit(false);
      b.setAutoCommit(false);
      int pidA = Sql.pid(a);
      int pidB = Sql.pid(b);
      assertThat(pidA).isNotEqualTo(pidB);
      assertServerUser(b, Pooler.VERIFIER_ONLY);
      a.commit();
      b.commit();
    }
  }

  @Test
  void passThroughIsImpossibleWithTrustAndSaysSo() throws Exception {
    // With auth_type=trust the client proves nothing, so there are no keys to log in with.
    try (Pooler p = Pooler.builder().set("auth_type", "trust").start()) {
      long t0 = System.nanoTime();
      ServerErrorMessage m =
          serverError(
              () ->
                  Sql.one(
                      p.connect(Roles.DATABASE, Pooler.VERIFIER_ONLY, "x", new Properties()),
                      "SELECT 1"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertThat(m.getSQLState()).isEqualTo("28000");
      assertThat(m.getMessage()).contains(Pooler.VERIFIER_ONLY).contains("SCRAM verifier");
      // PgBouncer's words, which scripts match on.
      assertThat(m.getMessage()).startsWith("wrong password type: ");
      assertThat(ms).as("error came quickly, not after a timeout").isLessThan(3000);
      // The pooler still serves other users.
      try (Connection c = p.connect(Roles.PLAIN)) {
        assertServerUser(c, Roles.PLAIN);
      }
    }
  }

  @Test
  void passThroughWorksWithAuthTypeMd5BecauseTheClientIsAskedForScram() throws Exception {
    try (Pooler p = Pooler.builder().set("auth_type", "md5").start();
        Connection c = p.connect(Pooler.VERIFIER_ONLY)) {
      assertServerUser(c, Pooler.VERIFIER_ONLY);
    }
  }

  @Test
  void passThroughWorksWithAuthTypePlainFromTheCleartextPassword() throws Exception {
    // The cleartext password checked against the verifier yields the keys.
    try (Pooler p = Pooler.builder().set("auth_type", "plain").start();
        Connection c = p.connect(Pooler.VERIFIER_ONLY)) {
      assertServerUser(c, Pooler.VERIFIER_ONLY);
    }
  }

  @Test
  void forcedUserAndPasswordFromTheDatabaseEntry() throws Exception {
    // The client logs in as bw_trust (checked against the auth file); the server sees bw_plain.
    try (Connection c =
        pooler.connect("forced", Roles.TRUST, Roles.password(Roles.TRUST), new Properties())) {
      assertServerUser(c, Roles.PLAIN);
    }
    try (Connection c =
        pooler.connect("forcedscram", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties())) {
      assertServerUser(c, Roles.ADMIN);
    }
  }

  @Test
  void wrongServerPasswordIsReportedQuicklyWithTheServersSqlState() throws Exception {
    // badmd5: the entry's password wins over the md5 hash the auth file holds for the user.
    for (String db : new String[] {"badpw", "badscram", "badmd5"}) {
      String serverUser = db.equals("badpw") ? Roles.PLAIN : db.equals("badmd5") ? Roles.MD5 : Roles.ADMIN;
      for (int attempt = 0; attempt < 2; attempt++) {
        long t0 = System.nanoTime();
        ServerErrorMessage m =
            serverError(
                () ->
                    Sql.one(
                        pooler.connect(db, Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()),
                        "SELECT 1"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(m.getSQLState()).as("%s attempt %d: %s", db, attempt, m).isEqualTo("28P01");
        assertThat(m.getMessage())
            .isEqualTo("password authentication failed for user \"" + serverUser + "\"");
        assertThat(ms).as("%s attempt %d took %d ms", db, attempt, ms).isLessThan(3000);
      }
      // Other pools keep working meanwhile.
      try (Connection c = pooler.connect(Roles.PLAIN)) {
        assertServerUser(c, Roles.PLAIN);
      }
    }
  }

  @Test
  void serverDownIsReportedQuicklyAs08006() throws Exception {
    long t0 = System.nanoTime();
    ServerErrorMessage m =
        serverError(
            () ->
                Sql.one(
                    pooler.connect("deadport", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()),
                    "SELECT 1"));
    long ms = (System.nanoTime() - t0) / 1_000_000;
    assertThat(m.getSQLState()).as("%s", m).isEqualTo("08006");
    assertThat(m.getMessage()).startsWith("could not connect to server");
    assertThat(ms).isLessThan(3000);
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      assertServerUser(c, Roles.PLAIN);
    }
  }

  @Test
  void serverThatNeverAnswersTimesOutAfterServerConnectTimeout() throws Exception {
    // A "server" that accepts TCP connections and never says a word.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor =
          new Thread(
              () -> {
                java.util.List<Socket> keep = new java.util.ArrayList<>();
                try {
                  for (; ; ) {
                    keep.add(silent.accept());
                  }
                } catch (java.io.IOException e) {
                  keep.forEach(
                      k -> {
                        try {
                          k.close();
                        } catch (java.io.IOException ignored) {
                          // closing anyway
                        }
                      });
                }
              });
      acceptor.setDaemon(true);
      acceptor.start();
      try (Pooler p =
          Pooler.builder()
              .set("server_connect_timeout", "1")
              .database("silent = dbname=bwtest port=" + silent.getLocalPort())
              .start()) {
        long t0 = System.nanoTime();
        ServerErrorMessage m =
            serverError(
                () ->
                    Sql.one(
                        p.connect("silent", Roles.PLAIN, Roles.password(Roles.PLAIN), new Properties()),
                        "SELECT 1"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(m.getSQLState()).as("%s", m).isEqualTo("08006");
        assertThat(m.getMessage()).contains("server_connect_timeout");
        assertThat(ms).isBetween(900L, 3500L);
        try (Connection c = p.connect(Roles.PLAIN)) {
          assertServerUser(c, Roles.PLAIN);
        }
      }
    }
  }
}
