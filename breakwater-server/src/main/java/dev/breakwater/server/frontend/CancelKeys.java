package dev.breakwater.server.frontend;

import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * The cancel keys Breakwater hands to clients in BackendKeyData: random, unique among live
 * clients, and mapped back to the client when a CancelRequest comes in on another connection.
 *
 * <p>With {@code peer_id} set, a key also says which process handed it out, as PgBouncer's do, so
 * that a process behind the same port or load balancer can forward a cancel request to the right
 * one: the 8 bytes of the key (process id, then secret) carry the peer id in bytes 1 (low 8 bits)
 * and 2 (high 8 bits), and the last 2 bits of byte 7 are a time to live, 3 when handed out and one
 * less at each forwarding, so that peers listed wrongly cannot pass a request around for ever. The
 * key keeps 45 random bits.
 */
public final class CancelKeys {
  /** The TTL bits: the last two of the key. */
  public static final long TTL_MASK = 0x3L;
  private static final long PEER_BITS = 0xFFFFL << 40;

  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<Long, ClientConnection> clients = new ConcurrentHashMap<>();
  private final IntSupplier peerId;

  /** Keys without a peer id. */
  public CancelKeys() {
    this(() -> 0);
  }

  /** Keys that carry {@code peerId}'s current value (read at each login: it may be reloaded). */
  public CancelKeys(IntSupplier peerId) {
    this.peerId = peerId;
  }

  /** Registers {@code c} under a new key; returns the key, process id in the high half. */
  long register(ClientConnection c) {
    int peer = peerId.getAsInt();
    while (true) {
      long key = random.nextLong();
      if (peer > 0) {
        key = withPeer(key, peer) | TTL_MASK;
      }
      // A positive process id, as PostgreSQL's: some clients (pg_basebackup) choke on a negative one.
      key &= Long.MAX_VALUE;
      if ((key >>> 32) == 0) {
        continue;
      }
      if (clients.putIfAbsent(key, c) == null) {
        return key;
      }
    }
  }

  void unregister(long key) {
    clients.remove(key);
  }

  /** The client holding this key, or null. */
  public ClientConnection find(int processId, int secretKey) {
    return clients.get(key(processId, secretKey));
  }

  /** The key as one number: process id in the high half. */
  public static long key(int processId, int secretKey) {
    return ((long) processId << 32) | (secretKey & 0xffffffffL);
  }

  /** The peer id a key carries (0 for a key handed out without peering). */
  public static int peerOf(long key) {
    return (int) ((key >>> 48) & 0xFF) | (int) (((key >>> 40) & 0xFF) << 8);
  }

  /** {@code key} with {@code peer} in bytes 1 and 2. */
  static long withPeer(long key, int peer) {
    return (key & ~PEER_BITS) | ((long) (peer & 0xFF) << 48) | ((long) ((peer >> 8) & 0xFF) << 40);
  }
}
