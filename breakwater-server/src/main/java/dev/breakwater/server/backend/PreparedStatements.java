package dev.breakwater.server.backend;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Every distinct statement clients have prepared by name in transaction or statement mode: one
 * entry per (query text, parameter types), shared by all clients and servers, with the name it
 * has on servers. A client's own statement names map to these entries; each server prepares an
 * entry at most once, under its server name, and keeps what it has in a bounded LRU.
 *
 * <p>The registry is only an index, and a bounded one: it does not keep a statement alive. An
 * entry goes when no client maps the statement and no server has it any more (the index holds
 * it weakly: a failed Parse no longer stays forever), and beyond {@code maxEntries} entries or
 * {@code maxBytes} of statement text the least recently parsed entries are dropped from the index
 * even if some client still maps them. Dropping an entry never breaks what uses it: the clients
 * and servers that hold the {@link Statement} keep using it under its server name (a server that
 * lacks it is given it from its own Parse body), and the next Parse of the same text makes a new
 * statement with a new server name. Server names are never reused.
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

  /** An index entry: the statement, weakly, and the key to remove when it is collected. */
  private static final class Entry extends WeakReference<Statement> {
    private final Key key;

    Entry(Statement s, Key key, ReferenceQueue<Statement> queue) {
      super(s, queue);
      this.key = key;
    }
  }

  /** The most entries the index keeps by default. */
  public static final int DEFAULT_MAX_ENTRIES = 100_000;
  /** The most statement text (Parse bodies) the index keeps by default. */
  public static final long DEFAULT_MAX_BYTES = 64L << 20;

  private final int maxEntries;
  private final long maxBytes;
  /** Least recently parsed first. Guarded by itself. */
  private final LinkedHashMap<Key, Entry> index = new LinkedHashMap<>(16, 0.75f, true);
  private final ReferenceQueue<Statement> collected = new ReferenceQueue<>();
  /** The bytes of the keys in {@link #index}; guarded by the index. */
  private long indexedBytes;
  private final AtomicLong ids = new AtomicLong();

  public PreparedStatements() {
    this(DEFAULT_MAX_ENTRIES, DEFAULT_MAX_BYTES);
  }

  /** An index of at most {@code maxEntries} statements and {@code maxBytes} of their text. */
  public PreparedStatements(int maxEntries, long maxBytes) {
    if (maxEntries < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("maxEntries and maxBytes must be positive");
    }
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

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

  /**
   * The shared entry for this Parse body (query and parameter types): the indexed one if it is
   * still held somewhere, else a new one with a new server name.
   */
  Statement intern(ByteBuf parseBodyAfterName) {
    byte[] body = ByteBufUtil.getBytes(parseBodyAfterName);
    Key key = new Key(body);
    synchronized (index) {
      purge();
      Entry e = index.get(key);
      Statement s = e == null ? null : e.get();
      if (s != null) {
        return s;
      }
      s = new Statement(ids.incrementAndGet(), body);
      if (e != null) {
        indexedBytes -= e.key.body.length;
      }
      index.put(key, new Entry(s, key, collected));
      indexedBytes += body.length;
      Iterator<Map.Entry<Key, Entry>> eldest = index.entrySet().iterator();
      while ((index.size() > maxEntries || indexedBytes > maxBytes) && index.size() > 1) {
        Key k = eldest.next().getKey();
        eldest.remove();
        indexedBytes -= k.body.length;
      }
      return s;
    }
  }

  /** Drops the entries of statements nobody holds any more. Holding the index's lock. */
  private void purge() {
    Reference<? extends Statement> r;
    while ((r = collected.poll()) != null) {
      Entry e = (Entry) r;
      // Not get(): that would count as a use. The entry may have been replaced or dropped already.
      if (index.remove(e.key, e)) {
        indexedBytes -= e.key.body.length;
      }
    }
  }

  /** How many statements the index holds now. */
  public int size() {
    synchronized (index) {
      purge();
      return index.size();
    }
  }

  /** The bytes of statement text the index holds now. */
  public long indexedBytes() {
    synchronized (index) {
      purge();
      return indexedBytes;
    }
  }
}
