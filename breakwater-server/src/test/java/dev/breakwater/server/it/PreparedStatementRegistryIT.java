package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.breakwater.server.backend.PreparedStatements;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The pooler's registry of named statements keeps only what some client or server still holds:
 * a client that prepares hundreds of distinct statements (a third of them failing) and leaves
 * leaves behind at most what the servers keep (max_prepared_statements each). Before, every
 * named Parse stayed in it forever, failing ones too. A statement that left the registry is
 * parsed anew, under a new server name, and works.
 */
class PreparedStatementRegistryIT {

  private static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().poolSize(2).set("max_prepared_statements", "10").start();
  }

  @AfterAll
  static void stop() {
    if (pooler != null) {
      pooler.close();
    }
  }

  private static Connection connect() throws Exception {
    Properties p = new Properties();
    // Named statements from the first execution, each closed (Close sent) when the test closes it.
    p.setProperty("prepareThreshold", "1");
    p.setProperty("preparedStatementCacheQueries", "0");
    return pooler.connect(Roles.DATABASE, Roles.PLAIN, Roles.password(Roles.PLAIN), p);
  }

  @Test
  void statementsNobodyHoldsLeaveTheRegistry() throws Exception {
    PreparedStatements registry = pooler.breakwater().backend().preparedStatements();
    long parsesBefore = registry.clientParses();
    try (Connection c = connect()) {
      for (int n = 0; n < 300; n++) {
        int i = n;
        String sql = i % 3 == 0 ? "SELECT ?::int FROM no_such_table_" + i : "SELECT ?::int + " + i;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
          ps.setInt(1, i);
          Throwable t = catchThrowable(() -> {
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              assertThat(rs.getInt(1)).isEqualTo(2 * i);
            }
          });
          if (i % 3 == 0) {
            assertThat(t).as("statement %d", i).isNotNull();
          } else {
            assertThat(t).as("statement %d", i).isNull();
          }
        }
      }
    }
    assertThat(registry.clientParses() - parsesBefore).as("named Parses").isGreaterThanOrEqualTo(300);
    // What the two servers keep (10 each) may stay; the rest goes once collected.
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (registry.size() > 20 && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(20);
    }
    assertThat(registry.size()).isLessThanOrEqualTo(20);
    // Every statement still works, parsed again where it left the registry.
    try (Connection c = connect()) {
      for (int i = 1; i < 300; i += 7) {
        if (i % 3 == 0) {
          continue;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::int + " + i)) {
          for (int run = 0; run < 3; run++) {
            ps.setInt(1, run);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              assertThat(rs.getInt(1)).isEqualTo(run + i);
            }
          }
        }
      }
    }
  }
}
