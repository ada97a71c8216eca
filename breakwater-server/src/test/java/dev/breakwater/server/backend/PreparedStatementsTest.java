package dev.breakwater.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The registry of named statements is a bounded index that keeps nothing alive: entries nobody
 * holds go, the least recently parsed go beyond its limits, and a statement dropped from it keeps
 * working for whoever holds it while the next Parse of its text gets a new server name.
 */
class PreparedStatementsTest {

  private static PreparedStatements.Statement parse(PreparedStatements registry, String sql) {
    ByteBuf body = Unpooled.buffer();
    body.writeBytes(sql.getBytes(StandardCharsets.UTF_8)).writeByte(0).writeShort(0);
    try {
      return registry.intern(body);
    } finally {
      body.release();
    }
  }

  @Test
  void theSameTextIsOneStatementWhileItIsIndexed() {
    PreparedStatements registry = new PreparedStatements();
    PreparedStatements.Statement a = parse(registry, "SELECT 1");
    assertThat(parse(registry, "SELECT 1")).isSameAs(a);
    assertThat(parse(registry, "SELECT 2")).isNotSameAs(a);
    assertThat(registry.size()).isEqualTo(2);
  }

  @Test
  void beyondMaxEntriesTheLeastRecentlyParsedLeaveTheIndex() {
    PreparedStatements registry = new PreparedStatements(3, 1 << 20);
    PreparedStatements.Statement a = parse(registry, "SELECT 'a'");
    PreparedStatements.Statement b = parse(registry, "SELECT 'b'");
    PreparedStatements.Statement c = parse(registry, "SELECT 'c'");
    assertThat(parse(registry, "SELECT 'a'")).isSameAs(a); // a is now the most recent
    PreparedStatements.Statement d = parse(registry, "SELECT 'd'");
    assertThat(registry.size()).isEqualTo(3);
    // b went: its next Parse is a new statement, under a new server name.
    PreparedStatements.Statement b2 = parse(registry, "SELECT 'b'");
    assertThat(b2).isNotSameAs(b);
    assertThat(b2.serverName()).isNotEqualTo(b.serverName());
    // The old one still works for whoever holds it: same name, same Parse body.
    assertThat(b.serverName()).isEqualTo("BW_" + b.id());
    assertThat(new String(b.parseBody(), StandardCharsets.UTF_8)).startsWith("SELECT 'b'");
    assertThat(registry.size()).isEqualTo(3);
    assertThat(List.of(a, c, d)).doesNotContainNull();
  }

  @Test
  void beyondMaxBytesTheLeastRecentlyParsedLeaveTheIndex() {
    PreparedStatements registry = new PreparedStatements(1000, 100);
    List<PreparedStatements.Statement> held = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      held.add(parse(registry, "SELECT " + "x".repeat(20) + " AS c" + i));
      assertThat(registry.indexedBytes()).isLessThanOrEqualTo(100);
    }
    assertThat(registry.size()).isBetween(1, 4);
    // A single statement longer than the limit is still indexed (alone).
    PreparedStatements.Statement big = parse(registry, "SELECT '" + "y".repeat(500) + "'");
    assertThat(registry.size()).isEqualTo(1);
    assertThat(parse(registry, "SELECT '" + "y".repeat(500) + "'")).isSameAs(big);
  }

  @Test
  void serverNamesAreNeverReused() {
    PreparedStatements registry = new PreparedStatements(2, 1 << 20);
    Set<String> names = new HashSet<>();
    List<PreparedStatements.Statement> held = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < 4; i++) {
        PreparedStatements.Statement s = parse(registry, "SELECT " + i);
        held.add(s);
        names.add(s.serverName());
      }
    }
    // Four texts through an index of two, in a cycle: every Parse made a new statement.
    assertThat(names).hasSize(held.size());
  }

  @Test
  void anEntryNobodyHoldsLeavesTheIndex() throws Exception {
    PreparedStatements registry = new PreparedStatements();
    PreparedStatements.Statement kept = parse(registry, "SELECT 'kept'");
    for (int i = 0; i < 1000; i++) {
      // Parsed once (a failing Parse too) and held by no client or server afterwards.
      parse(registry, "SELECT " + i + " FROM no_such_table");
    }
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (registry.size() > 1 && System.nanoTime() < deadline) {
      System.gc();
      Thread.sleep(10);
    }
    assertThat(registry.size()).isEqualTo(1);
    assertThat(registry.indexedBytes()).isEqualTo(kept.parseBody().length);
    assertThat(parse(registry, "SELECT 'kept'")).isSameAs(kept);
  }
}
