package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TempFiles;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dashboard with http_auth_token_file set, in headless Chromium: opened as /#token=TOKEN it
 * draws the pools; opened without, it says a token is needed. Skipped without Chromium.
 */
class DashboardTokenIT {

  static final String TOKEN = "dashboard-token-0123456789";
  static Pooler pooler;
  static Path tokenFile;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    Assumptions.assumeTrue(new File(DashboardIT.CHROMIUM).canExecute(), "Chromium is not installed: skipped");
    tokenFile = Files.createTempFile("bw-dash-token-", ".txt");
    Files.writeString(tokenFile, TOKEN + "\n");
    port = TestPostgres.freePort();
    pooler =
        Pooler.builder()
            .set("http_listen_port", Integer.toString(port))
            .set("http_auth_token_file", tokenFile.toString())
            .start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
    if (tokenFile != null) {
      TempFiles.delete(tokenFile);
    }
  }

  @Test
  void theTokenInTheFragmentOpensTheDashboard() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      Sql.exec(c, "SELECT 1");
      String dom =
          DashboardIT.chromium("--virtual-time-budget=3000", "--dump-dom", "http://127.0.0.1:" + port + "/#token=" + TOKEN);
      assertThat(dom).contains("data-pool=\"" + Roles.DATABASE + "/" + Roles.PLAIN + "\"");
      assertThat(DashboardIT.attribute(dom, "data-polls")).isGreaterThanOrEqualTo(1);
      assertThat(dom).doesNotContain("token needed");
    }
  }

  @Test
  void withoutTheTokenThePageSaysSo() throws Exception {
    String dom = DashboardIT.chromium("--virtual-time-budget=3000", "--dump-dom", "http://127.0.0.1:" + port + "/");
    assertThat(dom).contains("token needed").doesNotContain("data-pool=");
  }
}
