package dev.breakwater.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.backend.PreparedStatements.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a server keeps prepared: at most max_prepared_statements, the least recently used go. */
class ServerStatementsTest {

  private final PreparedStatements registry = new PreparedStatements();

  private List<Statement> statements(int n) {
    List<Statement> list = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      io.netty.buffer.ByteBuf body = io.netty.buffer.Unpooled.buffer();
      body.writeBytes(("SELECT " + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)).writeByte(0).writeShort(0);
      try {
        list.add(registry.intern(body));
      } finally {
        body.release();
      }
    }
    return list;
  }

  @Test
  void evictsTheLeastRecentlyUsedBeyondTheLimit() {
    ServerStatements server = new ServerStatements();
    List<Statement> s = statements(3);
    assertThat(server.add(s.get(0), 2)).isEmpty();
    assertThat(server.add(s.get(1), 2)).isEmpty();
    assertThat(server.touch(s.get(0))).isTrue();
    assertThat(server.add(s.get(2), 2)).containsExactly(s.get(1));
    assertThat(server.size()).isEqualTo(2);
  }

  @Test
  void aLoweredLimitClosesAsManyAsItTakesWithTheNextStatement() {
    // PgBouncer's test_evict_statement_cache: 5 prepared, the limit set to 2, one more prepared.
    ServerStatements server = new ServerStatements();
    List<Statement> s = statements(6);
    for (int i = 0; i < 5; i++) {
      assertThat(server.add(s.get(i), 5)).isEmpty();
    }
    assertThat(server.add(s.get(5), 2)).containsExactly(s.get(0), s.get(1), s.get(2), s.get(3));
    assertThat(server.size()).isEqualTo(2);
    assertThat(server.touch(s.get(5))).isTrue();
  }

  @Test
  void theNewStatementItselfIsNeverClosed() {
    ServerStatements server = new ServerStatements();
    List<Statement> s = statements(1);
    assertThat(server.add(s.get(0), 0)).isEmpty();
    assertThat(server.touch(s.get(0))).isTrue();
  }
}
