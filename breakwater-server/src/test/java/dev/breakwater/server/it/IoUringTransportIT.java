package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.channel.uring.IoUring;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The opt-in io_uring transport ({@code -Dbreakwater.transport=io_uring}) carries logins, queries
 * and transactions from many clients over few servers, over TCP and the Unix socket. Skipped where
 * the kernel does not allow io_uring.
 */
class IoUringTransportIT {

  @Test
  void clientsAndServersOverIoUring(@TempDir Path dir) throws Exception {
    assumeTrue(IoUring.isAvailable(), () -> "io_uring is not available here: " + IoUring.unavailabilityCause());
    Pooler pooler;
    String before = System.getProperty("breakwater.transport");
    System.setProperty("breakwater.transport", "io_uring");
    try {
      pooler = Pooler.builder().poolSize(3).set("unix_socket_dir", dir.toString()).start();
    } finally {
      if (before == null) {
        System.clearProperty("breakwater.transport");
      } else {
        System.setProperty("breakwater.transport", before);
      }
    }
    try (pooler) {
      assertThat(pooler.breakwater().transport().name()).isEqualTo("io_uring");
      ExecutorService pool = Executors.newFixedThreadPool(12);
      try {
        List<Future<Integer>> sums = new ArrayList<>();
        for (int t = 0; t < 12; t++) {
          int base = t * 1000;
          sums.add(pool.submit(() -> {
            int sum = 0;
            try (Connection c = pooler.connect(Roles.SCRAM)) {
              for (int i = 0; i < 50; i++) {
                c.setAutoCommit(i % 2 == 0);
                try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT " + (base + i) + ", repeat('x', 20000)")) {
                  rs.next();
                  sum += rs.getInt(1) - base;
                  assertThat(rs.getString(2)).hasSize(20000);
                }
                if (!c.getAutoCommit()) {
                  c.commit();
                }
              }
            }
            return sum;
          }));
        }
        for (Future<Integer> f : sums) {
          assertThat(f.get()).as("each client saw its own rows").isEqualTo(49 * 50 / 2);
        }
      } finally {
        pool.shutdownNow();
      }
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(dir.resolve(".s.PGSQL." + pooler.port())));
        byte[] body = ("user\0" + Roles.PLAIN + "\0database\0" + Roles.DATABASE + "\0\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer startup = ByteBuffer.allocate(8 + body.length);
        startup.putInt(8 + body.length).putInt(3 << 16).put(body).flip();
        ch.write(startup);
        ByteBuffer reply = ByteBuffer.allocate(9);
        while (reply.hasRemaining() && ch.read(reply) >= 0) {
          // until the first message's header and code are in
        }
        reply.flip();
        assertThat((char) reply.get()).as("an authentication request over the Unix socket").isEqualTo('R');
        reply.getInt();
        assertThat(reply.getInt()).as("SASL").isEqualTo(10);
      }
    }
  }
}
