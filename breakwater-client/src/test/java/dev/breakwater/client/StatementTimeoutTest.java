package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * statement_timeout arrives in the startup packet ({@code options=-c statement_timeout=...}), so
 * PostgreSQL reports its source as {@code client}, not {@code session} as a SET would.
 */
class StatementTimeoutTest {

  private static String[] setting(BreakwaterPool pool) throws SQLException {
    try (Connection c = pool.getConnection();
        Statement st = c.createStatement();
        ResultSet rs =
            st.executeQuery("SELECT setting, source FROM pg_settings WHERE name = 'statement_timeout'")) {
      rs.next();
      return new String[] {rs.getString(1), rs.getString(2)};
    }
  }

  @Test
  void thirtySecondsByDefaultSentAsAStartupOption() throws Exception {
    try (BreakwaterPool pool = Pg.builder("st-default").build()) {
      assertThat(pool.settings().statementTimeout()).isEqualTo(Duration.ofSeconds(30));
      assertThat(setting(pool)).containsExactly("30000", "client");
    }
  }

  @Test
  void aShortTimeoutCancelsALongQueryWith57014() throws Exception {
    try (BreakwaterPool pool = Pg.builder("st-short").statementTimeout(Duration.ofMillis(300)).build();
        Connection c = pool.getConnection();
        Statement st = c.createStatement()) {
      long start = System.nanoTime();
      assertThatThrownBy(() -> st.execute("SELECT pg_sleep(5)"))
          .isInstanceOf(SQLException.class)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo(SqlStates.QUERY_CANCELED));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
      // The connection is still good afterwards.
      try (ResultSet rs = st.executeQuery("SELECT 1")) {
        assertThat(rs.next()).isTrue();
      }
    }
  }

  @Test
  void theEnvironmentVariableSetsIt() throws Exception {
    try (BreakwaterPool pool =
        BreakwaterPool.builder()
            .environment(Map.of("DATABASE_URL", Pg.url(Pg.shared()), "DATABASE_STATEMENT_TIMEOUT", "1500ms"))
            .name("st-env")
            .shutdownHook(false)
            .alerts(false)
            .build()) {
      assertThat(setting(pool)).containsExactly("1500", "client");
    }
  }

  @Test
  void theUrlsOwnOptionsAreKeptAndMerged() throws Exception {
    String url = Pg.url(Pg.shared()) + "?options=-c%20search_path%3Dpg_catalog%20-c%20statement_timeout%3D7s";
    try (BreakwaterPool pool =
        BreakwaterPool.builder().environment(Map.of("DATABASE_URL", url)).name("st-url").shutdownHook(false).alerts(false).build()) {
      assertThat(pool.settings().statementTimeout()).isNull();
      assertThat(setting(pool)).containsExactly("7000", "client");
    }
    try (BreakwaterPool pool =
        Pg.builder("st-merge")
            .url(Pg.url(Pg.shared()) + "?options=-c%20search_path%3Dpg_catalog%20-c%20statement_timeout%3D7s")
            .statementTimeout(Duration.ofSeconds(2))
            .build();
        Connection c = pool.getConnection();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT current_setting('search_path'), current_setting('statement_timeout')")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo("pg_catalog");
      assertThat(rs.getString(2)).isEqualTo("2s");
    }
  }

  @Test
  void zeroSendsNothing() throws Exception {
    try (BreakwaterPool pool = Pg.builder("st-off").statementTimeout(Duration.ZERO).build()) {
      assertThat(setting(pool)).containsExactly("0", "default");
    }
  }

  @Test
  void optionsAreRewrittenNotDuplicated() {
    assertThat(StartupOptions.withStatementTimeout(null, 30000)).isEqualTo("-c statement_timeout=30000");
    assertThat(StartupOptions.withStatementTimeout("endpoint=ep-x -c statement_timeout=5s", 1000))
        .isEqualTo("endpoint=ep-x -c statement_timeout=1000");
    assertThat(StartupOptions.withStatementTimeout("-cstatement_timeout=5s --work_mem=4MB", 1000))
        .isEqualTo("--work_mem=4MB -c statement_timeout=1000");
    assertThat(StartupOptions.withStatementTimeout("--statement-timeout=5", 1000)).isEqualTo("-c statement_timeout=1000");
    assertThat(StartupOptions.setsStatementTimeout("-c search_path=x")).isFalse();
    assertThat(StartupOptions.setsStatementTimeout("-c statement_timeout=1")).isTrue();
  }
}
