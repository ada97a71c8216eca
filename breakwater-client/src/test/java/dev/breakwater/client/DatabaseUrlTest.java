package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The three URL forms, read and then used against the real server. */
class DatabaseUrlTest {

  /** A password with every character that needs percent-encoding in a URL. */
  static final String ODD_USER = "bw odd+user";

  static final String ODD_PASSWORD = "p@ss:w/rd?%#&=+ é";

  @BeforeAll
  static void oddRole() {
    TestPostgres pg = Pg.shared();
    pg.execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ODD_USER + "') THEN "
            + "CREATE ROLE \"" + ODD_USER + "\" LOGIN PASSWORD '" + ODD_PASSWORD.replace("'", "''") + "'; "
            + "END IF; END $$",
        "GRANT CONNECT ON DATABASE " + Roles.DATABASE + " TO \"" + ODD_USER + "\"");
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static String queryOne(BreakwaterPool pool, String sql) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static BreakwaterPool pool(String url, String name) {
    return BreakwaterPool.builder()
        .environment(java.util.Map.of("DATABASE_URL", url))
        .name(name)
        .shutdownHook(false)
        .alerts(false)
        .build();
  }

  @Test
  void postgresUrlWithPercentEncodedCredentialsConnects() throws Exception {
    TestPostgres pg = Pg.shared();
    // '+' must reach the server as '+': the user name is encoded with %2B, the space with %20.
    String url =
        "postgres://" + enc(ODD_USER).replace("%2B", "%2B") + ":" + enc(ODD_PASSWORD)
            + "@" + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE;
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    assertThat(parsed.user()).isEqualTo(ODD_USER);
    assertThat(parsed.property("password")).isEqualTo(ODD_PASSWORD);
    assertThat(parsed.toString()).doesNotContain("rd").contains(":***@");
    try (BreakwaterPool pool = pool(url, "odd-credentials")) {
      assertThat(queryOne(pool, "SELECT current_user")).isEqualTo(ODD_USER);
      assertThat(pool.settings().toString()).doesNotContain("p@ss");
    }
  }

  @Test
  void postgresqlSchemeWithQueryParametersConnects() throws Exception {
    TestPostgres pg = Pg.shared();
    String url =
        "postgresql://" + Roles.SCRAM + ":" + Roles.password(Roles.SCRAM) + "@" + pg.host() + ":" + pg.port()
            + "/" + Roles.DATABASE + "?sslmode=disable&application_name=from-url&pooling=true&connect_timeout=4";
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    assertThat(parsed.property("sslmode")).isEqualTo("disable");
    assertThat(parsed.property("ApplicationName")).isEqualTo("from-url");
    assertThat(parsed.property("connectTimeout")).isEqualTo("4");
    assertThat(parsed.ignoredParameters()).containsExactly("pooling");
    try (BreakwaterPool pool = pool(url, "scheme-postgresql")) {
      assertThat(queryOne(pool, "SELECT current_setting('application_name')")).isEqualTo("from-url");
    }
  }

  @Test
  void sslmodeIsHonouredRequireFailsOnAServerWithoutTls() throws Exception {
    String url = Pg.url(Pg.shared()) + "?sslmode=require";
    try (BreakwaterPool pool = pool(url, "ssl-required")) {
      long start = System.nanoTime();
      assertThatThrownBy(pool::getConnection)
          .isInstanceOf(SQLException.class)
          .hasMessageContaining("SSL");
      // Not retried: the development profile would wait 5 s.
      assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(2));
    }
  }

  @Test
  void jdbcUrlIsTakenAsPgjdbcReadsIt() throws Exception {
    TestPostgres pg = Pg.shared();
    String url =
        "jdbc:postgresql://" + pg.host() + ":" + pg.port() + "/" + Roles.DATABASE + "?user=" + Roles.SCRAM
            + "&password=" + Roles.password(Roles.SCRAM) + "&ApplicationName=jdbc-form";
    DatabaseUrl parsed = DatabaseUrl.parse(url);
    assertThat(parsed.hosts()).containsExactly(new DatabaseUrl.HostPort(pg.host(), pg.port()));
    assertThat(parsed.database()).isEqualTo(Roles.DATABASE);
    assertThat(parsed.user()).isEqualTo(Roles.SCRAM);
    try (BreakwaterPool pool = pool(url, "jdbc-form")) {
      assertThat(queryOne(pool, "SELECT current_setting('application_name')")).isEqualTo("jdbc-form");
      assertThat(queryOne(pool, "SELECT current_database()")).isEqualTo(Roles.DATABASE);
    }
  }

  @Test
  void theApplicationNameDefaultsToThePoolName() throws Exception {
    try (BreakwaterPool pool = Pg.builder("named-pool").build()) {
      assertThat(queryOne(pool, "SELECT current_setting('application_name')")).isEqualTo("named-pool");
    }
  }

  @Test
  void hostsPortsAndParametersAreMapped() {
    DatabaseUrl u =
        DatabaseUrl.parse(
            "postgres://alice@h1:5433,[::1]:6432,h3/db%20name?target_session_attrs=read-write"
                + "&sslrootcert=/etc/ca.pem&prepareThreshold=0&pgbouncer=true&keepalives=1");
    assertThat(u.hosts())
        .containsExactly(
            new DatabaseUrl.HostPort("h1", 5433),
            new DatabaseUrl.HostPort("::1", 6432),
            new DatabaseUrl.HostPort("h3", 5432));
    assertThat(u.database()).isEqualTo("db name");
    assertThat(u.user()).isEqualTo("alice");
    assertThat(u.property("password")).isNull();
    assertThat(u.property("targetServerType")).isEqualTo("primary");
    assertThat(u.property("sslrootcert")).isEqualTo("/etc/ca.pem");
    assertThat(u.property("prepareThreshold")).isEqualTo("0");
    assertThat(u.property("tcpKeepAlive")).isEqualTo("true");
    assertThat(u.ignoredParameters()).containsExactly("pgbouncer");
    assertThat(u.jdbcUrl()).isEqualTo("jdbc:postgresql://h1:5433,[::1]:6432,h3:5432/db%20name");
    assertThat(u.toString()).isEqualTo("postgres://alice@h1:5433,[::1]:6432,h3:5432/db name");
  }

  @Test
  void neonUrlsAsTheSeedsWriteThem() {
    DatabaseUrl u =
        DatabaseUrl.parse("postgres://user:pass@ep-xxx-pooler.us-east-2.aws.neon.tech/db?sslmode=require&pooling=true");
    assertThat(u.hosts()).containsExactly(new DatabaseUrl.HostPort("ep-xxx-pooler.us-east-2.aws.neon.tech", 5432));
    assertThat(u.database()).isEqualTo("db");
    assertThat(u.property("sslmode")).isEqualTo("require");
    assertThat(u.ignoredParameters()).containsExactly("pooling");
    DatabaseUrl noDb = DatabaseUrl.parse("postgresql://user:pass@host");
    assertThat(noDb.database()).isNull();
    assertThat(noDb.jdbcUrl()).isEqualTo("jdbc:postgresql://host:5432/");
    DatabaseUrl queryOverrides = DatabaseUrl.parse("postgresql:///mydb?host=db.internal&port=6543&user=bob");
    assertThat(queryOverrides.hosts()).containsExactly(new DatabaseUrl.HostPort("db.internal", 6543));
    assertThat(queryOverrides.user()).isEqualTo("bob");
    assertThat(DatabaseUrl.percentDecode("a+b%2Bc%20d%zz")).isEqualTo("a+b+c d%zz");
  }

  @Test
  void otherSchemesAndBrokenUrlsAreRejectedWithoutThePassword() {
    assertThatThrownBy(() -> DatabaseUrl.parse("mysql://u:secret@h/db"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("secret");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u:secret@h:99999/db"))
        .hasMessageContaining("bad port");
    assertThatThrownBy(() -> DatabaseUrl.parse("postgres://u:secret@[::1/db"))
        .hasMessageContaining("IPv6");
  }
}
