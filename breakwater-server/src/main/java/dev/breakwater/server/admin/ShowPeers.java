package dev.breakwater.server.admin;

import dev.breakwater.server.config.PeerEntry;

/** SHOW PEERS: the {@code [peers]} entries, with the pool size each gets. */
final class ShowPeers implements View {

  @Override
  public Result show(Observed o) {
    Result r =
        Result.of(
            "peer_id", ColumnType.INT4,
            "host", ColumnType.TEXT,
            "port", ColumnType.INT4,
            "pool_size", ColumnType.INT4);
    for (PeerEntry p : o.settings().peers().values()) {
      r.row(
          p.peerId(),
          p.host(),
          p.port(),
          p.poolSize() != null ? p.poolSize() : o.settings().general().defaultPoolSize());
    }
    return r;
  }
}
