package dev.breakwater.server.frontend;

import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cancel keys Breakwater hands to clients in BackendKeyData: random, unique among live
 * clients, and mapped back to the client when a CancelRequest comes in on another connection.
 */
public final class CancelKeys {
  private final SecureRandom random = new SecureRandom();
  private final ConcurrentHashMap<Long, ClientConnection> clients = new ConcurrentHashMap<>();

  /** Registers {@code c} under a new key; returns the key, process id in the high half. */
  long register(ClientConnection c) {
    while (true) {
      int pid = random.nextInt(Integer.MAX_VALUE - 1) + 1;
      int secret = random.nextInt();
      long key = ((long) pid << 32) | (secret & 0xffffffffL);
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
    return clients.get(((long) processId << 32) | (secretKey & 0xffffffffL));
  }
}
