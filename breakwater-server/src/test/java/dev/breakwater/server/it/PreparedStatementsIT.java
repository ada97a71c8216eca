package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.backend.PreparedStatements;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * pgjdbc with its default prepareThreshold (named server-side statements from the fifth
 * execution) in transaction mode: statements follow each client to whichever server it gets.
 */
class PreparedStatementsIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(5).set("max_prepared_statements", "10").start();
    try (Connection c = pooler.postgres().connect(Roles.DATABASE, "postgres", null);
        Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS ps_items");
      s.execute("CREATE TABLE ps_items (id int PRIMARY KEY, owner int, label text)");
      s.execute("GRANT ALL ON ps_items TO PUBLIC");
    }
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  @Test
  void fiftyThreadsOnFiveServersWithDefaultPgjdbc() throws Exception {
    ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    ExecutorService pool = Executors.newFixedThreadPool(50);
    List<Future<?>> futures = new ArrayList<>();
    for (int t = 0; t < 50; t++) {
      int me = t;
      futures.add(
          pool.submit(
              () -> {
                try (Connection c = pooler.connect(Roles.PLAIN)) {
                  for (int i = 0; i < 60; i++) {
                    try (PreparedStatement a = c.prepareStatement("SELECT ?::int + 1");
                        PreparedStatement b = c.prepareStatement("SELECT ?::text || '-' || ?::text")) {
                      a.setInt(1, i);
                      try (ResultSet rs = a.executeQuery()) {
                        rs.next();
                        if (rs.getInt(1) != i + 1) {
                          problems.add("wrong sum for " + me);
                        }
                      }
                      b.setString(1, "t" + me);
                      b.setString(2, "i" + i);
                      try (ResultSet rs = b.executeQuery()) {
                        rs.next();
                        if (!rs.getString(1).equals("t" + me + "-i" + i)) {
                          problems.add("crossed rows for " + me + ": " + rs.getString(1));
                        }
                      }
                    }
                    if (i % 20 == 0) {
                      try (PreparedStatement ins =
                          c.prepareStatement("INSERT INTO ps_items VALUES (?, ?, ?)")) {
                        for (int k = 0; k < 10; k++) {
                          ins.setInt(1, me * 10000 + i * 100 + k);
                          ins.setInt(2, me);
                          ins.setString(3, "x");
                          ins.addBatch();
                        }
                        ins.executeBatch();
                      }
                    }
                  }
                  DatabaseMetaData md = c.getMetaData();
                  try (ResultSet rs = md.getColumns(null, "public", "ps_items", null)) {
                    int columns = 0;
                    while (rs.next()) {
                      columns++;
                    }
                    if (columns != 3) {
                      problems.add("metadata saw " + columns + " columns");
                    }
                  }
                } catch (Exception e) {
                  problems.add(me + ": " + e);
                }
                return null;
              }));
    }
    for (Future<?> f : futures) {
      f.get(3, TimeUnit.MINUTES);
    }
    pool.shutdown();
    assertThat(problems).isEmpty();
    try (Connection c = pooler.connect(Roles.PLAIN);
        ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM ps_items")) {
      rs.next();
      assertThat(rs.getInt(1)).isEqualTo(50 * 3 * 10);
    }
    PreparedStatements stats = pooler.breakwater().backend().preparedStatements();
    assertThat(stats.clientParses()).isPositive();
    assertThat(stats.binds()).isGreaterThan(stats.clientParses());
  }

  @Test
  void moreStatementsThanTheServerKeepsStillWork() throws Exception {
    long evictionsBefore = pooler.breakwater().backend().preparedStatements().evictions();
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      List<PreparedStatement> open = new ArrayList<>();
      for (int q = 0; q < 30; q++) {
        open.add(c.prepareStatement("SELECT ?::int * " + q));
      }
      for (int round = 0; round < 8; round++) {
        for (int q = 0; q < open.size(); q++) {
          PreparedStatement ps = open.get(q);
          ps.setInt(1, round);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(round * q);
          }
        }
      }
      for (PreparedStatement ps : open) {
        ps.close();
      }
    }
    assertThat(pooler.breakwater().backend().preparedStatements().evictions())
        .isGreaterThan(evictionsBefore);
  }

  @Test
  void deallocateAllAndDiscardAllForgetTheClientsNames() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      PreparedStatement ps = c.prepareStatement("SELECT ?::int");
      for (int i = 0; i < 10; i++) {
        ps.setInt(1, i);
        ps.executeQuery().close();
      }
      c.createStatement().execute("DEALLOCATE ALL");
      // pgjdbc re-prepares after DEALLOCATE ALL (it watches the command tag too).
      for (int i = 0; i < 10; i++) {
        ps.setInt(1, i);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(i);
        }
      }
    }
  }
}
