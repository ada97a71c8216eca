package dev.breakwater.server.backend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every distinct statement clients have prepared by name in transaction or statement mode: one
 * entry per (query text, parameter types), shared by all clients and servers, with the name it
 * has on servers. A client's own statement names map to these entries; each server prepares an
 * entry at most once, under its server name, and keeps what it has in a bounded LRU.
 */
public final class PreparedStatements {

  /** A statement as servers know it. {@code parseBody} is a Parse body after the name. */
  public static final class Statement {
    private final long id;
    private final String serverName;
    private final byte[] parseBody;
    /** What running it does to session state, as its last Parse was read. */
    private volatile java.util.List<dev.breakwater.server.sql.Effect> effects = java.util.List.of();

    Statement(long id, byte[] parseBody) {
      this.id = id;
      this.serverName = "BW_" + id;
      this.parseBody = parseBody;
    }

    public long id() {
      return id;
    }

    public String serverName() {
      return serverName;
    }

    /** What a Bind of it does to session state (StatementClassifier's effects). */
    public java.util.List<dev.breakwater.server.sql.Effect> effects() {
      return effects;
    }

    void effects(java.util.List<dev.breakwater.server.sql.Effect> e) {
      effects = e;
    }

    /** The query text, parameter count and types, as they follow the name in a Parse. */
    byte[] parseBody() {
      return parseBody;
    }

    @Override
    public String toString() {
      return serverName;
    }
  }

  private static final class Key {
    private final byte[] body;
    private final int hash;

    Key(byte[] body) {
      this.body = body;
      this.hash = Arrays.hashCode(body);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && hash == k.hash && Arrays.equals(body, k.body);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private final ConcurrentHashMap<Key, Statement> statements = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong();

  /** Named Parse messages from clients. */
  final java.util.concurrent.atomic.LongAdder clientParses = new java.util.concurrent.atomic.LongAdder();
  /** Parse messages sent to servers, the client's own or re-prepared before a Bind. */
  final java.util.concurrent.atomic.LongAdder serverParses = new java.util.concurrent.atomic.LongAdder();
  /** Bind messages to named statements. */
  final java.util.concurrent.atomic.LongAdder binds = new java.util.concurrent.atomic.LongAdder();
  /** Statements closed on a server to stay within max_prepared_statements. */
  final java.util.concurrent.atomic.LongAdder evictions = new java.util.concurrent.atomic.LongAdder();

  public long clientParses() {
    return clientParses.sum();
  }

  public long serverParses() {
    return serverParses.sum();
  }

  public long binds() {
    return binds.sum();
  }

  public long evictions() {
    return evictions.sum();
  }

  /** The shared entry for this Parse body (query and parameter types), made on first sight. */
  Statement intern(ByteBuf parseBodyAfterName) {
    byte[] body = ByteBufUtil.getBytes(parseBodyAfterName);
    return statements.computeIfAbsent(new Key(body), k -> new Statement(ids.incrementAndGet(), k.body));
  }

  public int size() {
    return statements.size();
  }
}
