package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * auth_type = hba with a {@code local ... peer map=} line: a Unix socket client logs in as the
 * users auth_ident_file maps its OS user name to, and no other (PgBouncer's
 * test_peer_auth_ident_map).
 */
class PeerAuthIT {

  @Test
  void theOsUserLogsInAsTheUsersItsMapAllows(@TempDir Path dir) throws Exception {
    String os = System.getProperty("user.name");
    Path hba = Files.writeString(dir.resolve("hba.conf"), "local all all peer map=mymap\n");
    Path ident = Files.writeString(dir.resolve("ident.conf"), "mymap " + os + " " + Roles.PLAIN + "\n");
    try (Pooler pooler =
        Pooler.builder()
            .set("unix_socket_dir", dir.toString())
            .set("auth_type", "hba")
            .set("auth_hba_file", hba.toString())
            .set("auth_ident_file", ident.toString())
            .start()) {
      assumeTrue(pooler.breakwater().transport().serverDomainChannel() != null, "Unix sockets need epoll or io_uring");
      Path socket = dir.resolve(".s.PGSQL." + pooler.port());
      try (PgWire w = new PgWire(socket)) {
        w.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE));
        PgWire.Message auth = w.read();
        assertThat(auth.type()).isEqualTo('R');
        assertThat(auth.int32(0)).as("AuthenticationOk: no password asked").isZero();
        w.readUntil('Z');
        w.send(PgWire.query("SELECT current_user"));
        assertThat(new String(w.readUntil('D').body(), java.nio.charset.StandardCharsets.UTF_8)).endsWith(Roles.PLAIN);
      }
      try (PgWire w = new PgWire(socket)) {
        w.send(PgWire.startup("user", Roles.TRUST, "database", Roles.DATABASE));
        PgWire.Message refused = w.errorThenClose();
        assertThat(refused).isNotNull();
        assertThat(refused.sqlState()).isEqualTo("28000");
        assertThat(refused.text()).isEqualTo("Peer authentication failed for user \"" + Roles.TRUST + "\"");
      }
    }
  }
}
