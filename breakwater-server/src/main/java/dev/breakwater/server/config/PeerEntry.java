package dev.breakwater.server.config;

/**
 * One line of {@code [peers]}: another pooler process that cancel requests may be forwarded to,
 * e.g. {@code 2 = host=10.0.0.2 port=6432}.
 *
 * @param peerId the key of the line, 1 to 16383; matches that process's {@code peer_id}
 * @param port 6432 unless given
 * @param poolSize connections kept to that peer for forwarding; null means default_pool_size
 */
public record PeerEntry(int peerId, String host, int port, Integer poolSize) {
  public static final int DEFAULT_PORT = 6432;
}
