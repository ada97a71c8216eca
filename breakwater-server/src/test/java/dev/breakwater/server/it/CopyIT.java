package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/** 50 MB out with COPY TO STDOUT and back in with COPY FROM STDIN, checksums equal. */
class CopyIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(2).start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  @Test
  void fiftyMegabytesOutAndBackIn() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS copy_src, copy_dst");
      s.execute("CREATE TABLE copy_src (id int, payload text)");
      s.execute("CREATE TABLE copy_dst (id int, payload text)");
      s.execute(
          "INSERT INTO copy_src SELECT g, md5(g::text) || repeat('x', 230) FROM generate_series(1, 200000) g");
      CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();

      ByteArrayOutputStream out = new ByteArrayOutputStream(60 << 20);
      long rows = copy.copyOut("COPY (SELECT * FROM copy_src ORDER BY id) TO STDOUT", out);
      byte[] data = out.toByteArray();
      assertThat(rows).isEqualTo(200000);
      assertThat(data.length).isGreaterThan(50 << 20);

      long in = copy.copyIn("COPY copy_dst FROM STDIN", new ByteArrayInputStream(data));
      assertThat(in).isEqualTo(200000);

      ByteArrayOutputStream back = new ByteArrayOutputStream(60 << 20);
      copy.copyOut("COPY (SELECT * FROM copy_dst ORDER BY id) TO STDOUT", back);
      assertThat(sha256(back.toByteArray())).isEqualTo(sha256(data));
      s.execute("DROP TABLE copy_src, copy_dst");
    }
  }

  private static byte[] sha256(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(b);
  }
}
