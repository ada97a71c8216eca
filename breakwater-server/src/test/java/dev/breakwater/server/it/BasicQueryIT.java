package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The simplest path: pgjdbc through Breakwater in transaction mode, simple and extended queries. */
class BasicQueryIT {

  static Pooler pooler;

  @BeforeAll
  static void start() throws Exception {
    pooler = Pooler.builder().start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  @Test
  void simpleAndExtendedQueriesWork() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      try (Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT current_user, 40 + 2")) {
        assertThat(rs.next()).isTrue();
        assertThat(rs.getString(1)).isEqualTo(Roles.PLAIN);
        assertThat(rs.getInt(2)).isEqualTo(42);
      }
      for (int i = 0; i < 20; i++) {
        try (PreparedStatement ps = c.prepareStatement("SELECT ?::int * 2")) {
          ps.setInt(1, i);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(i * 2);
          }
        }
      }
    }
  }

  @Test
  void transactionsStayOnOneBackend() throws Exception {
    try (Connection c = pooler.connect(Roles.PLAIN)) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()");
        rs.next();
        int pid = rs.getInt(1);
        for (int i = 0; i < 5; i++) {
          rs = s.executeQuery("SELECT pg_backend_pid()");
          rs.next();
          assertThat(rs.getInt(1)).isEqualTo(pid);
        }
      }
      c.commit();
    }
  }
}
