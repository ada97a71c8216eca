package dev.breakwater.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Direct endpoints in serverless profiles are flagged; poolers and development are not. */
class EndpointAdviceTest {

  private static java.util.List<String> check(Profile p, String url) {
    return EndpointAdvice.check(p, DatabaseUrl.parse(url));
  }

  @Test
  void neonDirectEndpointIsFlaggedWithThePooledName() {
    assertThat(check(Profile.PRODUCTION, "postgres://u:p@ep-cool-name-123456.us-east-2.aws.neon.tech/db?sslmode=require"))
        .singleElement()
        .asString()
        .contains("direct endpoint ep-cool-name-123456.us-east-2.aws.neon.tech")
        .contains("ep-cool-name-123456-pooler.us-east-2.aws.neon.tech");
    // The seed's pooling=true does not make a direct host pooled.
    assertThat(check(Profile.PREVIEW, "postgres://u:p@ep-xxx.us-east-2.aws.neon.tech/db?sslmode=require&pooling=true"))
        .hasSize(1);
    assertThat(check(Profile.STAGING, "postgresql://u:p@ep-xxx-pooler.us-east-2.aws.neon.tech/callcoach")).isEmpty();
  }

  @Test
  void port5432IsFlaggedWherePoolersListenElsewhere() {
    assertThat(check(Profile.PRODUCTION, "postgres://u:p@db.internal:5432/app"))
        .singleElement()
        .asString()
        .contains("PostgreSQL's own port");
    assertThat(check(Profile.PRODUCTION, "postgres://u:p@db.internal/app")).hasSize(1);
    assertThat(check(Profile.PRODUCTION, "postgres://u:p@pgbouncer-host:6432/xmarket")).isEmpty();
    assertThat(check(Profile.PRODUCTION, "postgres://u:p@aws-0-eu-west-1.pooler.supabase.com:5432/postgres")).isEmpty();
    assertThat(check(Profile.PRODUCTION, "postgres://u:p@app.proxy-abc.us-east-1.rds.amazonaws.com:5432/app")).isEmpty();
  }

  @Test
  void developmentIsNeverAdvised() {
    assertThat(check(Profile.DEVELOPMENT, "postgres://u:p@ep-xxx.us-east-2.aws.neon.tech/db")).isEmpty();
    assertThat(check(Profile.DEVELOPMENT, "postgres://u:p@localhost:5432/db")).isEmpty();
  }

  @Test
  void thePoolLogsTheAdviceAtBuildTime() {
    try (Pg.Captured log = Pg.capture(BreakwaterPool.class.getName());
        BreakwaterPool pool =
            BreakwaterPool.builder()
                .environment(
                    Map.of("DATABASE_URL", "postgres://u:p@ep-xxx.us-east-2.aws.neon.tech/db", "APP_ENV", "production"))
                .name("advised")
                .shutdownHook(false)
                .alerts(false)
                .build()) {
      assertThat(log.events())
          .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("pool 'advised'").contains("-pooler"));
    }
  }
}
