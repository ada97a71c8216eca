package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several listen addresses, IPv6, PgBouncer's Unix socket in unix_socket_dir, a listening socket
 * per event loop, and a port already in use.
 */
class ListenersIT {

  @Test
  void unixSocketServesClients(@TempDir Path dir) throws Exception {
    try (Pooler pooler = Pooler.builder().set("unix_socket_dir", dir.toString()).set("unix_socket_mode", "0700").start()) {
      assumeTrue(pooler.breakwater().transport().serverDomainChannel() != null, "Unix sockets need epoll or io_uring");
      Path socket = dir.resolve(".s.PGSQL." + pooler.port());
      assertThat(socket).exists();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rwx------");
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(socket));
        byte[] body = ("user\0" + Roles.PLAIN + "\0database\0" + Roles.DATABASE + "\0\0").getBytes(StandardCharsets.UTF_8);
        ByteBuffer startup = ByteBuffer.allocate(8 + body.length);
        startup.putInt(8 + body.length).putInt(3 << 16).put(body).flip();
        ch.write(startup);
        ByteBuffer reply = ByteBuffer.allocate(9);
        while (reply.hasRemaining()) {
          if (ch.read(reply) < 0) {
            break;
          }
        }
        reply.flip();
        assertThat((char) reply.get()).isEqualTo('R');
        reply.getInt();
        assertThat(reply.getInt()).as("SASL, as over TCP").isEqualTo(10);
      }
      if (Files.isExecutable(Path.of("/usr/bin/psql"))) {
        ProcessBuilder pb =
            new ProcessBuilder("/usr/bin/psql", "-h", dir.toString(), "-p", Integer.toString(pooler.port()),
                    "-U", Roles.PLAIN, "-d", Roles.DATABASE, "-Atc", "SELECT 40 + 2")
                .redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", Roles.password(Roles.PLAIN));
        Process psql = pb.start();
        psql.getOutputStream().close();
        assertThat(psql.waitFor(20, TimeUnit.SECONDS)).isTrue();
        String out = new String(psql.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(out).as("psql output").isEqualTo("42\n");
      }
    }
    assertThat(Files.list(dir)).as("the socket is removed at stop").isEmpty();
  }

  @Test
  void thePoolersOwnOsUserIsTheConsoleUserPgbouncerOverTheUnixSocketOnly(@TempDir Path dir) throws Exception {
    // PgBouncer's rule, which its test suite relies on: no admin_users entry, no password.
    try (Pooler pooler = Pooler.builder().set("unix_socket_dir", dir.toString()).start()) {
      assumeTrue(pooler.breakwater().transport().serverDomainChannel() != null, "Unix sockets need epoll or io_uring");
      try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
        ch.connect(UnixDomainSocketAddress.of(dir.resolve(".s.PGSQL." + pooler.port())));
        byte[] body = "user\0pgbouncer\0database\0pgbouncer\0\0".getBytes(StandardCharsets.UTF_8);
        ByteBuffer startup = ByteBuffer.allocate(8 + body.length);
        startup.putInt(8 + body.length).putInt(3 << 16).put(body).flip();
        ch.write(startup);
        ByteBuffer reply = ByteBuffer.allocate(9);
        while (reply.hasRemaining() && ch.read(reply) >= 0) {
          // until the first message's header and code
        }
        reply.flip();
        assertThat((char) reply.get()).isEqualTo('R');
        reply.getInt();
        assertThat(reply.getInt()).as("AuthenticationOk, no password asked").isZero();
      }
      Properties props = new Properties();
      props.setProperty("user", "pgbouncer");
      props.setProperty("password", "anything");
      props.setProperty("preferQueryMode", "simple");
      assertThatThrownBy(() -> DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pooler.port() + "/pgbouncer", props).close())
          .as("over TCP the same user is refused")
          .hasMessageContaining("not allowed: pgbouncer is in neither admin_users nor stats_users");
    }
  }

  @Test
  void severalAddressesIncludingIpv6() throws Exception {
    assumeTrue(ipv6Loopback(), "no IPv6 loopback on this machine");
    try (Pooler pooler = Pooler.builder().set("listen_addr", "127.0.0.1, ::1").start()) {
      for (String host : new String[] {"127.0.0.1", "[::1]"}) {
        Properties p = new Properties();
        p.setProperty("user", Roles.PLAIN);
        p.setProperty("password", Roles.password(Roles.PLAIN));
        try (Connection c =
            DriverManager.getConnection("jdbc:postgresql://" + host + ":" + pooler.port() + "/" + Roles.DATABASE, p)) {
          assertThat(c.isValid(2)).as(host).isTrue();
        }
      }
    }
  }

  @Test
  void everyEventLoopAcceptsItsOwnClients() throws Exception {
    try (Pooler pooler = Pooler.builder().start()) {
      assumeTrue(pooler.breakwater().transport().reusePort() != null, "a socket per loop needs epoll or io_uring");
      List<Connection> open = new ArrayList<>();
      try {
        for (int i = 0; i < 16; i++) {
          open.add(pooler.connect(Roles.PLAIN));
        }
        Set<EventLoop> loops = new HashSet<>();
        for (Pool pool : pooler.breakwater().pools().all()) {
          for (ClientConnection client : pool.clients(ClientConnection.class)) {
            Channel ch = client.channel();
            assertThat(ch.eventLoop()).as("a client stays on the loop whose socket accepted it").isSameAs(ch.parent().eventLoop());
            loops.add(ch.eventLoop());
          }
        }
        int threads = Integer.getInteger("breakwater.threads", Runtime.getRuntime().availableProcessors());
        if (threads > 1) {
          assertThat(loops).as("the kernel spreads 16 clients over the loops' sockets").hasSizeGreaterThan(1);
        } else {
          assertThat(loops).hasSize(1);
        }
      } finally {
        for (Connection c : open) {
          c.close();
        }
      }
    }
  }

  @Test
  void aPortInUseFailsWithAClearErrorUnlessSoReuseportIsSet() throws Exception {
    try (Pooler first = Pooler.builder().start()) {
      String port = Integer.toString(first.port());
      assertThatThrownBy(() -> Pooler.builder().set("listen_port", port).start().close())
          .isInstanceOf(ChannelException.class)
          .hasMessageStartingWith("cannot listen on 127.0.0.1:" + port);
      try (Connection c = first.connect(Roles.PLAIN)) {
        assertThat(c.isValid(2)).as("the first pooler still serves").isTrue();
      }
    }
    try (Pooler first = Pooler.builder().set("so_reuseport", "1").start();
        Pooler second = Pooler.builder().set("so_reuseport", "1").set("listen_port", Integer.toString(first.port())).start()) {
      assertThat(second.port()).isEqualTo(first.port());
      List<Connection> open = new ArrayList<>();
      try {
        for (int i = 0; i < 24; i++) {
          Connection c = second.connect(Roles.PLAIN);
          open.add(c);
          assertThat(c.isValid(2)).isTrue();
        }
        // The kernel spreads the 24 connections over both poolers' sockets.
        for (Pooler p : new Pooler[] {first, second}) {
          int clients = 0;
          for (Pool pool : p.breakwater().pools().all()) {
            clients += pool.clients().size();
          }
          assertThat(clients).as("clients of one of the two poolers").isPositive();
        }
      } finally {
        for (Connection c : open) {
          c.close();
        }
      }
    }
  }

  @Test
  void anHttpPortInUseStopsStartupWithOneLineAndClosesTheListenersAlreadyOpen() throws Exception {
    int pgPort = TestPostgres.freePort();
    try (java.net.ServerSocket taken = new java.net.ServerSocket()) {
      taken.bind(new java.net.InetSocketAddress("127.0.0.1", 0));
      int httpPort = taken.getLocalPort();
      assertThatThrownBy(
              () -> Pooler.builder()
                  .set("listen_port", Integer.toString(pgPort))
                  .set("http_listen_addr", "127.0.0.1")
                  .set("http_listen_port", Integer.toString(httpPort))
                  .start()
                  .close())
          .isInstanceOf(ChannelException.class)
          .hasMessageStartingWith("cannot listen for HTTP on 127.0.0.1:" + httpPort);
    }
    // The PostgreSQL-protocol listeners bound before the failure are closed again.
    try (java.net.ServerSocket again = new java.net.ServerSocket()) {
      again.bind(new java.net.InetSocketAddress("127.0.0.1", pgPort));
    }
  }

  @Test
  void aUnixSocketDirectoryThatDoesNotExistStopsStartupNamingTheSocket(@TempDir Path tmp) throws Exception {
    assumeTrue(dev.breakwater.server.Transport.detect().serverDomainChannel() != null, "Unix sockets need epoll or io_uring");
    Path dir = tmp.resolve("missing");
    int port = TestPostgres.freePort();
    assertThatThrownBy(
            () -> Pooler.builder().set("listen_port", Integer.toString(port)).set("unix_socket_dir", dir.toString()).start().close())
        .isInstanceOf(ChannelException.class)
        .hasMessageStartingWith("cannot listen on " + dir.resolve(".s.PGSQL." + port) + ": ");
    // The TCP listeners bound before the failure are closed again.
    try (java.net.ServerSocket again = new java.net.ServerSocket()) {
      again.bind(new java.net.InetSocketAddress("127.0.0.1", port));
    }
  }

  private static boolean ipv6Loopback() {
    try {
      InetAddress a = InetAddress.getByName("::1");
      return NetworkInterface.getByInetAddress(a) != null;
    } catch (IOException e) {
      return false;
    }
  }
}
