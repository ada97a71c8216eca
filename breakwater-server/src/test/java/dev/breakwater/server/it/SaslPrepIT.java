package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Non-ASCII passwords are prepared as PostgreSQL prepares them (SASLprep, or the raw password when
 * SASLprep fails). Each password is given to PostgreSQL by CREATE ROLE with password_encryption =
 * scram-sha-256, for two roles: one whose auth file entry is PostgreSQL's own verifier (the
 * pooler derives keys from the cleartext password the client sends, checks them against it, then
 * logs in with them), one whose entry is the plain password (the pooler logs in to PostgreSQL with
 * SCRAM from it). Clients send their password in cleartext (auth_type = plain), so that nothing
 * but the pooler prepares it.
 */
class SaslPrepIT {

  /** Passwords, and what they test. */
  static List<String> passwords() {
    return List.of(
        "\u00C5ngstr\u00F6M", // precomposed
        "A\u030Angstro\u0308M", // decomposed: NFKC composes it
        "I\u00ADX", // soft hyphen: mapped to nothing
        "\u2168", // ROMAN NUMERAL NINE: NFKC gives "IX"
        "a\u3000b", // ideographic space: a space
        "\u00C5\u00ADb\uE000", // private use: prohibited, raw password
        "\u2168\uD83D\uDE00", // U+1F600, unassigned in Unicode 3.2: raw password
        "\u05D0\u00ADa"); // RandALCat with LCat: bidi violation, raw password
  }

  private static Pooler pooler;
  /** The same auth file, with clients logging in by SCRAM (pgjdbc prepares their passwords). */
  private static Pooler scramPooler;

  private static String role(String kind, int i) {
    return "bw_sasl_" + kind + i;
  }

  @BeforeAll
  static void start() throws Exception {
    TestPostgres pg = TestPostgres.shared();
    Pooler.Builder b = Pooler.builder().set("auth_type", "plain");
    Pooler.Builder sb = Pooler.builder().set("auth_type", "scram-sha-256");
    List<String> pw = passwords();
    try (Connection c = pg.superuser();
        Statement s = c.createStatement()) {
      s.execute("SET password_encryption = 'scram-sha-256'");
      for (int i = 0; i < pw.size(); i++) {
        for (String kind : List.of("v", "p")) {
          String r = role(kind, i);
          s.execute(drop(r));
          s.execute("CREATE ROLE " + r + " LOGIN PASSWORD '" + pw.get(i).replace("'", "''") + "'");
        }
        try (ResultSet rs =
            s.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + role("v", i) + "'")) {
          rs.next();
          assertThat(rs.getString(1)).startsWith("SCRAM-SHA-256$");
          b.secret(role("v", i), rs.getString(1));
          sb.secret(role("v", i), rs.getString(1));
        }
        b.secret(role("p", i), pw.get(i));
        sb.secret(role("p", i), pw.get(i));
      }
    }
    pooler = b.start();
    scramPooler = sb.start();
  }

  private static String drop(String role) {
    return "DO $$ BEGIN IF EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role + "') THEN "
        + "DROP OWNED BY " + role + "; DROP ROLE " + role + "; END IF; END $$";
  }

  @AfterAll
  static void stop() throws Exception {
    if (pooler != null) {
      pooler.close();
    }
    if (scramPooler != null) {
      scramPooler.close();
    }
    List<String> drops = new java.util.ArrayList<>();
    for (int i = 0; i < passwords().size(); i++) {
      drops.add(drop(role("v", i)));
      drops.add(drop(role("p", i)));
    }
    TestPostgres.shared().execute(drops.toArray(String[]::new));
  }

  @ParameterizedTest(name = "password {index}")
  @MethodSource("passwords")
  void checkedAgainstPostgresVerifierAndPassedThrough(String password) throws Exception {
    String r = role("v", passwords().indexOf(password));
    try (Connection c = pooler.connect(Roles.DATABASE, r, password, new Properties())) {
      assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(r);
    }
  }

  @ParameterizedTest(name = "password {index}")
  @MethodSource("passwords")
  void plainPasswordLogsInToPostgres(String password) throws Exception {
    String r = role("p", passwords().indexOf(password));
    try (Connection c = pooler.connect(Roles.DATABASE, r, password, new Properties())) {
      assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(r);
    }
  }

  /**
   * A SCRAM client against the verifier the pooler makes from the plain password: the client's
   * SASLprep (pgjdbc's) and the pooler's must agree, as they agree with PostgreSQL's.
   */
  @ParameterizedTest(name = "password {index}")
  @MethodSource("passwords")
  void scramClientAgainstPlainPassword(String password) throws Exception {
    String r = role("p", passwords().indexOf(password));
    try (Connection c = scramPooler.connect(Roles.DATABASE, r, password, new Properties())) {
      assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(r);
    }
  }

  /** And against PostgreSQL's own verifier, passed through to PostgreSQL. */
  @ParameterizedTest(name = "password {index}")
  @MethodSource("passwords")
  void scramClientAgainstPostgresVerifier(String password) throws Exception {
    String r = role("v", passwords().indexOf(password));
    try (Connection c = scramPooler.connect(Roles.DATABASE, r, password, new Properties())) {
      assertThat(Sql.one(c, "SELECT current_user")).isEqualTo(r);
    }
  }
}
