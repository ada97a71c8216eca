package dev.breakwater.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.server.stats.PoolStats;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The client-to-server direction without a server or a client: named statements mapped to the
 * server's names, Parse and Close answered locally where the server already has (or keeps) the
 * statement, replies matched to requests, and the session tracker told what runs. Buffers come
 * from the pooled allocator with leak detection on (LeakCheck fails the class on a leak).
 */
class StatementMapperTest {

  private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

  /** One client: its statement names. */
  private static final class Names implements StatementNames {
    final Map<String, PreparedStatements.Statement> map = new HashMap<>();

    @Override
    public Map<String, PreparedStatements.Statement> statements() {
      return map;
    }
  }

  private final PreparedStatements registry = new PreparedStatements();
  private final PoolStats stats = new PoolStats();
  private final List<String> inspected = new ArrayList<>();

  private StatementMapper mapper(SessionTracker tracker) {
    StatementMapper m =
        new StatementMapper(
            "S-test",
            new StatementMapper.Context(registry, () -> 200, stats, () -> true),
            tracker,
            new HashMap<>(),
            ALLOC,
            (type, on) -> inspected.add((char) type + "=" + on));
    m.modes(true, true);
    return m;
  }

  /** A message as (type, body text with NULs shown as |). */
  private record Msg(char type, String body) {}

  private static List<Msg> messages(ByteBuf out) {
    List<Msg> list = new ArrayList<>();
    if (out == null) {
      return list;
    }
    try {
      while (out.isReadable()) {
        char type = (char) out.readByte();
        int len = out.readInt();
        byte[] body = new byte[len - 4];
        out.readBytes(body);
        list.add(new Msg(type, new String(body, StandardCharsets.UTF_8).replace('\0', '|')));
      }
    } finally {
      out.release();
    }
    return list;
  }

  private static ByteBuf named(String name, String sql) {
    ByteBuf b = ALLOC.buffer();
    FrontendMessages.parse(b, name, sql);
    return b;
  }

  private static ByteBuf bind(String statement) {
    ByteBuf b = ALLOC.buffer();
    FrontendMessages.bind(b, "", statement, List.of());
    FrontendMessages.execute(b, "", 0);
    FrontendMessages.sync(b);
    return b;
  }

  private static ByteBuf closeStatement(String name) {
    ByteBuf b = ALLOC.buffer();
    int at = Codec.beginMessage(b, MessageType.CLOSE);
    b.writeByte('S');
    Codec.writeCString(b, name);
    Codec.endMessage(b, at);
    FrontendMessages.sync(b);
    return b;
  }

  @Test
  void aNamedStatementIsPreparedUnderTheServersNameAndAnsweredLocallyOnceItIsThere() {
    StatementMapper m = mapper(new SessionTracker());
    Names a = new Names();
    List<Msg> first = messages(m.scan(a, named("S_1", "SELECT 1")));
    assertThat(first).hasSize(1);
    assertThat(first.get(0).type()).isEqualTo('P');
    assertThat(first.get(0).body()).startsWith("BW_").contains("|SELECT 1|");
    String serverName = first.get(0).body().substring(0, first.get(0).body().indexOf('|'));

    // Another client parses the same text: the server has it, ParseComplete comes from the pooler.
    Names b = new Names();
    assertThat(messages(m.scan(b, named("other", "SELECT 1")))).isEmpty();
    // The first Parse's reply is still due, so the local answer waits for it.
    assertThat(m.fakesDue()).isNull();
    assertThat(m.advance(MessageType.PARSE_COMPLETE)).isEqualTo(RequestQueue.FORWARD);
    assertThat(messages(m.fakesDue())).extracting(Msg::type).containsExactly('1');

    // Bind by the client's own name goes out under the server's.
    List<Msg> run = messages(m.scan(b, bind("other")));
    assertThat(run).extracting(Msg::type).containsExactly('B', 'E', 'S');
    assertThat(run.get(0).body()).startsWith("|" + serverName + "|");
    assertThat(stats.totals().binds()).isEqualTo(1);
    m.release();
  }

  @Test
  void aBindOnAServerThatLacksTheStatementPreparesItFirstAndHidesTheReply() {
    Names a = new Names();
    StatementMapper first = mapper(new SessionTracker());
    messages(first.scan(a, named("S_1", "SELECT 2")));
    first.release();

    // The client is lent another server, which has never seen the statement.
    StatementMapper other = mapper(new SessionTracker());
    List<Msg> run = messages(other.scan(a, bind("S_1")));
    assertThat(run).extracting(Msg::type).containsExactly('P', 'B', 'E', 'S');
    assertThat(other.advance(MessageType.PARSE_COMPLETE)).as("the pooler's own Parse").isEqualTo(RequestQueue.HIDE);
    assertThat(other.advance(MessageType.BIND_COMPLETE)).isEqualTo(RequestQueue.FORWARD);
    other.release();
  }

  @Test
  void closingANamedStatementIsAnsweredHereAndTheServerKeepsIt() {
    StatementMapper m = mapper(new SessionTracker());
    Names a = new Names();
    messages(m.scan(a, named("S_1", "SELECT 3")));
    m.advance(MessageType.PARSE_COMPLETE);
    List<Msg> close = messages(m.scan(a, closeStatement("S_1")));
    assertThat(close).extracting(Msg::type).containsExactly('S');
    assertThat(messages(m.fakesDue())).extracting(Msg::type).containsExactly('3');
    assertThat(a.statements()).doesNotContainKey("S_1");
    assertThat(m.statementCount()).isEqualTo(1);
    m.release();
  }

  @Test
  void aPreparedSetTakesEffectAtEveryBindAndADoBlockMakesTheSessionUncertain() {
    SessionTracker tracker = new SessionTracker();
    StatementMapper m = mapper(tracker);
    Names a = new Names();
    messages(m.scan(a, named("set", "SET work_mem = '3MB'")));
    assertThat(tracker.pendingEffects()).as("a Parse runs nothing").isEmpty();
    messages(m.scan(a, bind("set")));
    messages(m.scan(a, bind("set")));
    assertThat(tracker.pendingEffects()).hasSize(2);

    ByteBuf q = ALLOC.buffer();
    FrontendMessages.query(q, "DO $$BEGIN SET search_path = evil; END$$");
    assertThat(messages(m.scan(a, q))).extracting(Msg::type).containsExactly('Q');
    assertThat(tracker.uncertainty()).isEqualTo("do_block");
    m.release();
  }

  @Test
  void aFunctionCallMessageIsNotReadAndMakesTheSessionUncertain() {
    SessionTracker tracker = new SessionTracker();
    StatementMapper m = mapper(tracker);
    ByteBuf f = ALLOC.buffer();
    int at = Codec.beginMessage(f, MessageType.FUNCTION_CALL);
    f.writeInt(2078); // set_config's OID
    f.writeShort(0);
    f.writeShort(0);
    f.writeShort(0);
    Codec.endMessage(f, at);
    assertThat(messages(m.scan(new Names(), f))).extracting(Msg::type).containsExactly('F');
    assertThat(tracker.uncertainty()).isEqualTo("function_call");
    m.release();
  }

  @Test
  void repliesSplitOnlyWhileSomethingMustBeHiddenOrAdded() {
    StatementMapper m = mapper(new SessionTracker());
    Names a = new Names();
    messages(m.scan(a, named("S_1", "SELECT 4")));
    assertThat(m.splitting()).isFalse();
    messages(m.scan(new Names(), named("S_2", "SELECT 4")));
    assertThat(m.splitting()).as("a local ParseComplete to place").isTrue();
    assertThat(inspected).contains("1=true");
    m.clear();
    assertThat(m.splitting()).isFalse();
    m.release();
  }
}
