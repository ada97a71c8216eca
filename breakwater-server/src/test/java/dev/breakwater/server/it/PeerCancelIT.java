package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.frontend.CancelKeys;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PgBouncer's peering: a cancel request that reaches another Breakwater process than the one
 * running the query (behind one port with so_reuseport, or a load balancer) is forwarded to the
 * process whose peer id its key carries, by TCP or a Unix socket; a key that would go round for
 * ever is dropped once its TTL is spent.
 */
class PeerCancelIT {

  private static final int CANCEL_REQUEST_CODE = 80877102;

  /** A client logged in over the raw protocol, with the cancel key it was given. */
  private record Client(PgWire wire, int pid, int secret) implements AutoCloseable {
    @Override
    public void close() throws IOException {
      wire.close();
    }
  }

  private static Client login(int port) throws IOException {
    PgWire w = new PgWire(port);
    w.send(PgWire.startup("user", Roles.PLAIN, "database", Roles.DATABASE));
    int pid = 0;
    int secret = 0;
    for (; ; ) {
      PgWire.Message m = w.read();
      assertThat(m).as("login").isNotNull();
      if (m.type() == 'K') {
        pid = m.int32(0);
        secret = m.int32(4);
      } else if (m.type() == 'E') {
        throw new IOException("login failed: " + m);
      } else if (m.type() == 'Z') {
        return new Client(w, pid, secret);
      }
    }
  }

  /** Sends a CancelRequest and waits until the pooler closes that connection; returns the ms taken. */
  private static long cancel(java.nio.channels.ByteChannel ch, int pid, int secret) throws IOException {
    long start = System.nanoTime();
    ByteBuffer b = ByteBuffer.allocate(16).putInt(16).putInt(CANCEL_REQUEST_CODE).putInt(pid).putInt(secret).flip();
    while (b.hasRemaining()) {
      ch.write(b);
    }
    ByteBuffer sink = ByteBuffer.allocate(64);
    while (ch.read(sink) >= 0) {
      sink.clear();
    }
    return (System.nanoTime() - start) / 1_000_000;
  }

  private static long cancelOverTcp(int port, int pid, int secret) throws IOException {
    try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
      return cancel(ch, pid, secret);
    }
  }

  /** What a query answers first: 'E' with its SQLSTATE, or 'T'/'C' when it ran to its end. */
  private static String outcome(PgWire w) throws IOException {
    for (; ; ) {
      PgWire.Message m = w.read();
      assertThat(m).as("an answer").isNotNull();
      if (m.type() == 'E') {
        String state = m.sqlState();
        w.readUntil('Z');
        return state;
      }
      if (m.type() == 'C') {
        w.readUntil('Z');
        return "ok";
      }
    }
  }

  private static Pooler.Builder peer(int id, int port) {
    return Pooler.builder()
        .set("auth_type", "trust")
        .set("listen_port", Integer.toString(port))
        .set("peer_id", Integer.toString(id));
  }

  /**
   * Waits until PostgreSQL runs the client's pg_sleep: a cancel that comes before the query has
   * started cancels nothing (a fixed pause was too short on a loaded machine).
   */
  private static void awaitSleeping(Pooler p) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (System.nanoTime() < deadline) {
      try (java.sql.Connection su = p.postgres().superuser();
          java.sql.Statement st = su.createStatement();
          java.sql.ResultSet rs = st.executeQuery(
              "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(30)'")) {
        rs.next();
        if (rs.getInt(1) > 0) {
          return;
        }
      }
      Thread.sleep(20);
    }
  }

  @Test
  void aCancelSentToAnotherProcessIsForwardedToTheOneRunningTheQuery() throws Exception {
    int portA = TestPostgres.freePort();
    int portB = TestPostgres.freePort();
    try (Pooler a = peer(1, portA).peer(2, "host=127.0.0.1 port=" + portB).set("admin_users", Roles.ADMIN).start();
        Pooler b = peer(2, portB).peer(1, "host=127.0.0.1 port=" + portA).set("admin_users", Roles.ADMIN).start();
        Client c = login(a.port())) {
      assertThat(CancelKeys.peerOf(CancelKeys.key(c.pid(), c.secret()))).as("the key names peer 1").isEqualTo(1);
      assertThat(c.secret() & 3).as("a fresh key's TTL").isEqualTo(3);
      c.wire().send(PgWire.query("SELECT pg_sleep(30)"));
      awaitSleeping(a);
      long ms = cancelOverTcp(b.port(), c.pid(), c.secret());
      assertThat(outcome(c.wire())).as("the query on A was cancelled through B").isEqualTo("57014");
      assertThat(ms).as("B closed the cancel connection once A had it").isLessThan(5_000);

      Properties p = new Properties();
      p.setProperty("preferQueryMode", "simple");
      try (Connection admin = a.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), p);
          Statement s = admin.createStatement();
          ResultSet rs = s.executeQuery("SHOW PEERS")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getInt("peer_id")).isEqualTo(2);
        assertThat(rs.getString("host")).isEqualTo("127.0.0.1");
        assertThat(rs.getInt("port")).isEqualTo(portB);
        assertThat(rs.getInt("pool_size")).isEqualTo(5);
        assertThat(rs.next()).isFalse();
      }
      try (Connection admin = b.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), p);
          Statement s = admin.createStatement();
          ResultSet rs = s.executeQuery("SHOW PEER_POOLS")) {
        assertThat(rs.next()).as("B forwarded to peer 1").isTrue();
        assertThat(rs.getInt("peer_id")).isEqualTo(1);
        assertThat(rs.getInt("cl_active_cancel_req")).as("and is done").isZero();
        assertThat(rs.getInt("cl_waiting_cancel_req")).isZero();
        assertThat(rs.next()).isFalse();
      }
    }
  }

  @Test
  void threeProcessesOnOnePortWithSoReuseportCancelEveryQuery(@TempDir Path dir) throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        dev.breakwater.server.Transport.detect().domainChannel() != null, "Unix sockets need epoll or io_uring");
    int port = TestPostgres.freePort();
    List<Pooler> poolers = new ArrayList<>();
    try {
      for (int id = 1; id <= 3; id++) {
        // Each process has a Unix socket of its own, which is how its peers reach it: the shared
        // port would deal a forwarded request to any of them.
        java.nio.file.Files.createDirectories(dir.resolve("p" + id));
        Pooler.Builder builder =
            peer(id, port).set("so_reuseport", "1").set("unix_socket_dir", dir.resolve("p" + id).toString());
        for (int other = 1; other <= 3; other++) {
          // Each lists every process, itself too: its own id is acted on, not forwarded.
          builder.peer(other, "host=" + dir.resolve("p" + other) + " port=" + port);
        }
        poolers.add(builder.start());
      }
      Map<Integer, Integer> queriesPerPeer = new HashMap<>();
      for (int round = 0; round < 12; round++) {
        try (Client c = login(port)) {
          queriesPerPeer.merge(CancelKeys.peerOf(CancelKeys.key(c.pid(), c.secret())), 1, Integer::sum);
          c.wire().send(PgWire.query("SELECT pg_sleep(30)"));
          Thread.sleep(150);
          // The kernel deals this connection to any of the three.
          cancelOverTcp(port, c.pid(), c.secret());
          assertThat(outcome(c.wire())).as("round %d", round).isEqualTo("57014");
        }
      }
      assertThat(queriesPerPeer.keySet()).as("queries ran on more than one process").hasSizeGreaterThan(1);
    } finally {
      for (Pooler p : poolers) {
        p.close();
      }
    }
  }

  @Test
  void aPeerMayBeReachedOverItsUnixSocket(@TempDir Path dir) throws Exception {
    int portA = TestPostgres.freePort();
    int portB = TestPostgres.freePort();
    try (Pooler a = peer(1, portA).set("unix_socket_dir", dir.toString()).start();
        Pooler b = peer(2, portB).peer(1, "host=" + dir + " port=" + portA).start();
        Client c = login(a.port())) {
      org.junit.jupiter.api.Assumptions.assumeTrue(
          a.breakwater().transport().domainChannel() != null, "Unix sockets need epoll or io_uring");
      c.wire().send(PgWire.query("SELECT pg_sleep(30)"));
      awaitSleeping(a);
      cancelOverTcp(b.port(), c.pid(), c.secret());
      assertThat(outcome(c.wire())).isEqualTo("57014");
    }
  }

  @Test
  void aRequestPassedAroundIsDroppedOnceItsTtlIsSpent() throws Exception {
    int portA = TestPostgres.freePort();
    int portB = TestPostgres.freePort();
    // B is told, wrongly, that peer 1 is B itself: the request goes round B until its TTL is spent.
    try (Pooler a = peer(1, portA).start();
        Pooler b = peer(2, portB).peer(1, "host=127.0.0.1 port=" + portB).start();
        Client c = login(a.port())) {
      c.wire().send(PgWire.query("SELECT pg_sleep(1.5)"));
      Thread.sleep(200);
      long ms = cancelOverTcp(b.port(), c.pid(), c.secret());
      assertThat(ms).as("the request was dropped, not passed around for ever").isLessThan(3_000);
      assertThat(outcome(c.wire())).as("nothing was cancelled").isEqualTo("ok");
    }
  }

  @Test
  void withoutPeeringAKeyIsOnlyLookedUpLocally() throws Exception {
    int portA = TestPostgres.freePort();
    int portB = TestPostgres.freePort();
    try (Pooler a = Pooler.builder().set("auth_type", "trust").set("listen_port", Integer.toString(portA)).start();
        Pooler b = Pooler.builder().set("auth_type", "trust").set("listen_port", Integer.toString(portB)).start();
        Client c = login(a.port())) {
      c.wire().send(PgWire.query("SELECT pg_sleep(1.5)"));
      Thread.sleep(200);
      cancelOverTcp(b.port(), c.pid(), c.secret());
      assertThat(outcome(c.wire())).isEqualTo("ok");
      assertThat(c.pid()).as("a positive process id").isPositive();
    }
  }

  @Test
  void aKeyHandedOutBeforePeerIdWasSetStillCancelsHere() throws Exception {
    try (Pooler a = Pooler.builder().set("auth_type", "trust").start();
        Client c = login(a.port())) {
      // Peering turned on after this client logged in: its key names no peer.
      a.breakwater().control().set("peer_id", "7");
      c.wire().send(PgWire.query("SELECT pg_sleep(30)"));
      awaitSleeping(a);
      cancelOverTcp(a.port(), c.pid(), c.secret());
      assertThat(outcome(c.wire())).isEqualTo("57014");
      try (Client later = login(a.port())) {
        assertThat(CancelKeys.peerOf(CancelKeys.key(later.pid(), later.secret()))).as("new keys carry it").isEqualTo(7);
      }
    }
  }
}
