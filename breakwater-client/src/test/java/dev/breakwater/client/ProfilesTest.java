package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import dev.breakwater.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Profiles from APP_ENV / NODE_ENV, size overrides from the environment, builder overrides. */
class ProfilesTest {

  private static Map<String, String> env(String... kv) {
    Map<String, String> m = new HashMap<>();
    m.put("DATABASE_URL", Pg.url(Pg.shared()));
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  private static PoolSettings settings(Map<String, String> env) {
    return BreakwaterPool.builder().environment(env).settings();
  }

  @Test
  void eachProfileHasTheSeedNumbersAndHikariGetsThem() throws Exception {
    int[][] expected = {{10, 60, 5}, {3, 20, 2}, {5, 30, 3}, {5, 30, 3}};
    String[] names = {"development", "preview", "staging", "production"};
    for (int i = 0; i < names.length; i++) {
      try (BreakwaterPool pool =
          BreakwaterPool.builder()
              .environment(env("APP_ENV", names[i]))
              .name("profile-" + names[i])
              .shutdownHook(false)
              .alerts(false)
              .build()) {
        PoolSettings s = pool.settings();
        assertThat(s.profile().envName()).isEqualTo(names[i]);
        assertThat(s.profileSource()).isEqualTo("APP_ENV");
        assertThat(s.maxSize()).isEqualTo(expected[i][0]);
        assertThat(s.minSize()).isZero();
        assertThat(s.idleTimeout()).isEqualTo(Duration.ofSeconds(expected[i][1]));
        assertThat(s.connectionTimeout()).isEqualTo(Duration.ofSeconds(expected[i][2]));
        HikariDataSource h = pool.unwrap(HikariDataSource.class);
        assertThat(h.getMaximumPoolSize()).isEqualTo(expected[i][0]);
        assertThat(h.getIdleTimeout()).isEqualTo(expected[i][1] * 1000L);
        assertThat(h.getConnectionTimeout()).isEqualTo(expected[i][2] * 1000L);
        assertThat(h.getMaxLifetime()).isEqualTo(BreakwaterPool.DEFAULT_MAX_LIFETIME.toMillis());
        assertThat(h.getKeepaliveTime()).isZero();
        try (Connection c = pool.getConnection();
            Statement st = c.createStatement();
            ResultSet rs = st.executeQuery("SELECT current_user")) {
          rs.next();
          assertThat(rs.getString(1)).isEqualTo(TestPostgres.Roles.SCRAM);
        }
      }
    }
  }

  @Test
  void appEnvWinsOverNodeEnvWhichWinsOverTheDefault() {
    assertThat(settings(env("APP_ENV", "preview", "NODE_ENV", "production")).profile())
        .isEqualTo(Profile.PREVIEW);
    PoolSettings node = settings(env("NODE_ENV", "production"));
    assertThat(node.profile()).isEqualTo(Profile.PRODUCTION);
    assertThat(node.profileSource()).isEqualTo("NODE_ENV");
    PoolSettings none = settings(env());
    assertThat(none.profile()).isEqualTo(Profile.DEVELOPMENT);
    assertThat(none.profileSource()).isEqualTo("default");
    assertThat(settings(env("APP_ENV", " Staging ")).profile()).isEqualTo(Profile.STAGING);
    assertThat(settings(env("APP_ENV", "prod")).profile()).isEqualTo(Profile.PRODUCTION);
    assertThat(settings(env("APP_ENV", "", "NODE_ENV", "preview")).profile()).isEqualTo(Profile.PREVIEW);
  }

  @Test
  void anUnknownProfileNameFallsBackToDevelopmentWithAWarning() {
    try (Pg.Captured log = Pg.capture(BreakwaterPool.class.getName())) {
      assertThat(settings(env("NODE_ENV", "test")).profile()).isEqualTo(Profile.DEVELOPMENT);
      assertThat(log.events())
          .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("NODE_ENV=test names no profile"));
    }
  }

  @Test
  void sizeVariablesOverrideTheProfileAndTheBuilderOverridesEverything() throws Exception {
    PoolSettings s =
        settings(env("APP_ENV", "production", "DATABASE_POOL_MIN_SIZE", "2", "DATABASE_POOL_MAX_SIZE", "10"));
    assertThat(s.minSize()).isEqualTo(2);
    assertThat(s.maxSize()).isEqualTo(10);
    assertThat(s.connectionTimeout()).isEqualTo(Duration.ofSeconds(3));

    PoolSettings b =
        BreakwaterPool.builder()
            .environment(env("APP_ENV", "production", "DATABASE_POOL_MAX_SIZE", "10"))
            .profile(Profile.PREVIEW)
            .maxSize(7)
            .minSize(1)
            .idleTimeout(Duration.ofSeconds(15))
            .connectionTimeout(Duration.ofMillis(750))
            .statementTimeout(Duration.ofSeconds(5))
            .settings();
    assertThat(b.profile()).isEqualTo(Profile.PREVIEW);
    assertThat(b.profileSource()).isEqualTo("builder");
    assertThat(b.maxSize()).isEqualTo(7);
    assertThat(b.minSize()).isEqualTo(1);
    assertThat(b.idleTimeout()).isEqualTo(Duration.ofSeconds(15));
    assertThat(b.connectionTimeout()).isEqualTo(Duration.ofMillis(750));
    assertThat(b.statementTimeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void theMinimumSizeIsKeptOpenOnTheServer() throws Exception {
    try (BreakwaterPool pool =
            BreakwaterPool.builder()
                .environment(env("APP_ENV", "production", "DATABASE_POOL_MIN_SIZE", "2"))
                .name("min-two")
                .shutdownHook(false)
                .alerts(false)
                .build();
        Connection admin = Pg.shared().superuser()) {
      assertThat(Pg.eventually(Duration.ofSeconds(10), () -> pool.stats().idle() == 2)).isTrue();
      try (Statement st = admin.createStatement();
          ResultSet rs =
              st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'min-two'")) {
        rs.next();
        assertThat(rs.getInt(1)).isEqualTo(2);
      }
    }
  }

  @Test
  void neonDatabaseUrlIsTheFallbackAndAMissingUrlSaysWhatToSet() {
    Map<String, String> neon = new HashMap<>();
    neon.put("NEON_DATABASE_URL", "postgres://u:p@ep-cool-name-123456-pooler.us-east-2.aws.neon.tech/app");
    assertThat(settings(neon).url().hosts().get(0).host())
        .isEqualTo("ep-cool-name-123456-pooler.us-east-2.aws.neon.tech");
    Map<String, String> both = new HashMap<>(neon);
    both.put("DATABASE_URL", "postgres://u:p@db.example.com:6432/app");
    assertThat(settings(both).url().hosts().get(0).host()).isEqualTo("db.example.com");

    assertThatThrownBy(() -> settings(Map.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("DATABASE_URL is not set");
  }

  @Test
  void badValuesAreRejectedWithTheVariableName() {
    assertThatThrownBy(() -> settings(env("DATABASE_POOL_MAX_SIZE", "five")))
        .hasMessageContaining("DATABASE_POOL_MAX_SIZE must be a whole number");
    assertThatThrownBy(() -> settings(env("DATABASE_POOL_MIN_SIZE", "6", "DATABASE_POOL_MAX_SIZE", "5")))
        .hasMessageContaining("min size");
    assertThatThrownBy(() -> settings(env("DATABASE_POOL_MAX_SIZE", "0"))).hasMessageContaining("at least 1");
    assertThatThrownBy(
            () -> BreakwaterPool.builder().environment(env()).idleTimeout(Duration.ofSeconds(5)).settings())
        .hasMessageContaining("idle timeout");
    assertThatThrownBy(
            () ->
                BreakwaterPool.builder()
                    .environment(env())
                    .leakDetectionThreshold(Duration.ofMillis(500))
                    .settings())
        .hasMessageContaining("leak detection");
  }
}
