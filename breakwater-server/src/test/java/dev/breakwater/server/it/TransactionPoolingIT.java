package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * 200 concurrent clients on a pool of 5 in transaction mode: all succeed, PostgreSQL never sees
 * more than 5 connections, every transaction runs on one backend, and no row is lost or crossed.
 */
class TransactionPoolingIT {

  static final int CLIENTS = 200;
  static final int TRANSACTIONS = 10;
  static final int POOL_SIZE = 5;

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(POOL_SIZE).set("query_wait_timeout", "60").start();
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS tp_rows");
      s.execute("CREATE TABLE tp_rows (client int, seq int, backend int, PRIMARY KEY (client, seq))");
      s.execute("GRANT ALL ON tp_rows TO PUBLIC");
    }
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  @Test
  void twoHundredClientsShareFiveServers() throws Exception {
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger maxBackends = new AtomicInteger();
    Thread monitor =
        new Thread(
            () -> {
              while (!done.get()) {
                try {
                  maxBackends.accumulateAndGet(pooler.backendsOf(Roles.PLAIN), Math::max);
                  Thread.sleep(20);
                } catch (Exception e) {
                  return;
                }
              }
            });
    monitor.start();

    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    CountDownLatch connected = new CountDownLatch(CLIENTS);
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    List<Future<?>> futures = new ArrayList<>();
    for (int client = 0; client < CLIENTS; client++) {
      int me = client;
      futures.add(
          pool.submit(
              () -> {
                try (Connection c = pooler.connect(Roles.PLAIN)) {
                  connected.countDown();
                  connected.await(60, TimeUnit.SECONDS);
                  c.setAutoCommit(false);
                  for (int seq = 0; seq < TRANSACTIONS; seq++) {
                    int first = backend(c);
                    try (PreparedStatement ins =
                        c.prepareStatement("INSERT INTO tp_rows VALUES (?, ?, pg_backend_pid())")) {
                      ins.setInt(1, me);
                      ins.setInt(2, seq);
                      ins.executeUpdate();
                    }
                    int mine;
                    try (PreparedStatement q =
                            c.prepareStatement("SELECT count(*) FROM tp_rows WHERE client = ?")) {
                      q.setInt(1, me);
                      try (ResultSet rs = q.executeQuery()) {
                        rs.next();
                        mine = rs.getInt(1);
                      }
                    }
                    int last = backend(c);
                    if (first != last) {
                      problems.add("client " + me + " seq " + seq + " moved from " + first + " to " + last);
                    }
                    if (mine != seq + 1) {
                      problems.add("client " + me + " sees " + mine + " rows, expected " + (seq + 1));
                    }
                    c.commit();
                  }
                } catch (Exception e) {
                  problems.add("client " + me + ": " + e);
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get(5, TimeUnit.MINUTES);
    }
    pool.shutdown();
    done.set(true);
    monitor.join();

    assertThat(problems).isEmpty();
    assertThat(maxBackends.get()).isBetween(1, POOL_SIZE);
    try (Connection c = pooler.connect(Roles.PLAIN);
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*), count(DISTINCT (client, seq)), count(DISTINCT backend) FROM tp_rows")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(CLIENTS * TRANSACTIONS);
      assertThat(rs.getInt(2)).isEqualTo(CLIENTS * TRANSACTIONS);
      assertThat(rs.getInt(3)).isBetween(1, POOL_SIZE);
    }
  }

  private static int backend(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
