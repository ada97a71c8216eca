package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A database entry that forces {@code user=} without a password: clients of any user share its
 * pool, whose servers log in as the forced user with what the pooler learnt from that user's own
 * login (SCRAM pass-through keys, the secret auth_query found). Another user's login must not
 * replace them: the next server would log in as the forced user with the other user's keys.
 */
class ForcedUserSecretsIT {

  private static final String OWNER = "bw_fu_owner";
  private static final String OTHER = "bw_fu_other";

  @BeforeAll
  static void roles() {
    TestPostgres.shared()
        .execute(
            drop(OWNER),
            drop(OTHER),
            "SET password_encryption = 'scram-sha-256'",
            "CREATE ROLE " + OWNER + " LOGIN PASSWORD 'owner_pw'",
            "CREATE ROLE " + OTHER + " LOGIN PASSWORD 'other_pw'");
  }

  @AfterAll
  static void dropRoles() {
    TestPostgres.shared().execute(drop(OWNER), drop(OTHER));
  }

  private static String drop(String role) {
    return "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role + "') THEN "
        + "DROP OWNED BY " + role + "; DROP ROLE " + role + "; END IF; END $$";
  }

  private static String verifier(String role) throws Exception {
    try (Connection c = TestPostgres.shared().superuser();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + role + "'")) {
      rs.next();
      return rs.getString(1);
    }
  }

  @Test
  void passThroughKeysOfAnotherUserDoNotReplaceTheForcedUsers() throws Exception {
    try (Pooler p =
        Pooler.builder()
            .database("fa = dbname=" + Roles.DATABASE + " user=" + OWNER)
            .secret(OWNER, verifier(OWNER))
            .secret(OTHER, verifier(OTHER))
            .start()) {
      ownerThenOther(p, "fa");
    }
  }

  @Test
  void authQuerySecretOfAnotherUserDoesNotReplaceTheForcedUsers() throws Exception {
    try (Pooler p =
        Pooler.builder()
            .set("auth_user", Roles.ADMIN)
            .set("auth_dbname", "postgres")
            .set("auth_query", "SELECT rolname, rolpassword FROM pg_authid WHERE rolname = $1")
            .database("fq = dbname=" + Roles.DATABASE + " user=" + OWNER)
            .start()) {
      ownerThenOther(p, "fq");
    }
  }

  /**
   * The forced user logs in and holds its server in a transaction; then the other user logs in,
   * and its query needs a second server, which logs in as the forced user.
   */
  private static void ownerThenOther(Pooler p, String database) throws Exception {
    try (Connection owner = p.connect(database, OWNER, "owner_pw", new Properties())) {
      owner.setAutoCommit(false);
      assertThat(Sql.one(owner, "SELECT current_user")).isEqualTo(OWNER);
      try (Connection other = p.connect(database, OTHER, "other_pw", new Properties())) {
        assertThat(Sql.one(other, "SELECT current_user")).isEqualTo(OWNER);
      }
      owner.rollback();
    }
    // And a later login of the forced user itself still finds a server that works.
    try (Connection again = p.connect(database, OWNER, "owner_pw", new Properties())) {
      assertThat(Sql.one(again, "SELECT current_user")).isEqualTo(OWNER);
    }
  }
}
