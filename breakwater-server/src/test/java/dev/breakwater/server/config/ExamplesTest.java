package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/** The example configs load, say what their comments claim, and stay that way. */
class ExamplesTest {

  @Test
  void minimal() throws Exception {
    Path ini = RepoFiles.resolve("examples/minimal/pgbouncer.ini");
    Settings s = ConfigLoader.load(ini);
    assertThat(s.warnings()).isEmpty();
    General g = s.general();
    assertThat(g.authType()).isEqualTo(AuthType.SCRAM_SHA_256);
    assertThat(g.poolMode()).isEqualTo(PoolMode.TRANSACTION);
    assertThat(g.listenAddr()).containsExactly("127.0.0.1");
    assertThat(g.listenPort()).isEqualTo(6432);
    assertThat(g.authFile()).isEqualTo(ini.getParent().resolve("userlist.txt"));
    DatabaseEntry app = s.database("app").orElseThrow();
    assertThat(app.hosts()).containsExactly("127.0.0.1");
    assertThat(app.port()).isEqualTo(5432);
    assertThat(app.targetDbname()).isEqualTo("app");
    assertThat(s.databases()).hasSize(1);
    assertThat(AuthFile.load(g.authFile())).containsExactly(Map.entry("app", "app-password"));
  }

  @Test
  void production() throws Exception {
    Settings s = ConfigLoader.load(RepoFiles.resolve("examples/production/pgbouncer.ini"));
    assertThat(s.warnings()).isEmpty();
    General g = s.general();
    assertThat(g.poolMode()).isEqualTo(PoolMode.TRANSACTION);
    assertThat(g.maxClientConn()).isEqualTo(1000);
    assertThat(g.defaultPoolSize()).isEqualTo(20);
    assertThat(g.reservePoolSize()).isEqualTo(5);
    assertThat(g.serverIdleTimeout()).isEqualTo(Duration.ofSeconds(600));
    assertThat(g.serverLifetime()).isEqualTo(Duration.ofSeconds(3600));
    assertThat(g.listenPort()).isEqualTo(6432);
    assertThat(g.listenAddr()).containsExactly("*");
    assertThat(g.authType()).isEqualTo(AuthType.MD5);
    assertThat(g.authFile()).isEqualTo(Path.of("/etc/pgbouncer/userlist.txt"));
    assertThat(g.serverTlsSslmode()).isEqualTo(SslMode.REQUIRE);
    assertThat(g.ignoreStartupParameters()).containsExactly("extra_float_digits");
    assertThat(g.statsUsers()).containsExactly("bw_admin");
    DatabaseEntry xmarket = s.database("xmarket").orElseThrow();
    assertThat(xmarket.host()).endsWith(".neon.tech");
    assertThat(xmarket.port()).isEqualTo(5432);
    assertThat(xmarket.targetDbname()).isEqualTo("xmarket");
    assertThat(s.databases()).containsOnlyKeys("xmarket");
    assertThat(s.fallbackDatabase()).isNull();
  }

  /** The secrets in the production userlist really are those of the passwords it names. */
  @Test
  void productionUserlistSecretsMatchTheirPasswords() throws Exception {
    Map<String, String> users =
        AuthFile.load(RepoFiles.resolve("examples/production/userlist.txt"));
    assertThat(users).containsOnlyKeys("xmarket_app", "bw_admin");

    byte[] md5 = MessageDigest.getInstance("MD5")
        .digest(("change-me-too" + "bw_admin").getBytes(StandardCharsets.UTF_8));
    assertThat(users.get("bw_admin")).isEqualTo("md5" + HexFormat.of().formatHex(md5));

    String scram = users.get("xmarket_app");
    assertThat(scram).startsWith("SCRAM-SHA-256$4096:");
    String[] parts = scram.substring("SCRAM-SHA-256$".length()).split("[:$]");
    byte[] salt = Base64.getDecoder().decode(parts[1]);
    byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
        .generateSecret(new PBEKeySpec("change-me".toCharArray(), salt, 4096, 256))
        .getEncoded();
    byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(hmac(salted, "Client Key"));
    assertThat(Base64.getEncoder().encodeToString(storedKey)).isEqualTo(parts[2]);
    assertThat(Base64.getEncoder().encodeToString(hmac(salted, "Server Key")))
        .isEqualTo(parts[3]);
  }

  private static byte[] hmac(byte[] key, String text) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
  }
}
