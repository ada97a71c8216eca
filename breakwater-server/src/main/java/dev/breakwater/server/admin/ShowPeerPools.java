package dev.breakwater.server.admin;

import dev.breakwater.server.frontend.PeerCancels;

/**
 * SHOW PEER_POOLS: for each peer a cancel request was forwarded to, the requests being forwarded
 * ({@code cl_active_cancel_req}, each over a connection of its own: {@code sv_active_cancel}) and
 * those waiting for a place within the peer's {@code pool_size}. A forwarding connection is
 * counted active from its start, so {@code sv_login} is 0.
 */
final class ShowPeerPools implements View {

  @Override
  public Result show(Observed o) {
    Result r =
        Result.of(
            "peer_id", ColumnType.INT4,
            "cl_active_cancel_req", ColumnType.INT4,
            "cl_waiting_cancel_req", ColumnType.INT4,
            "sv_active_cancel", ColumnType.INT4,
            "sv_login", ColumnType.INT4);
    for (PeerCancels.Snapshot p : o.breakwater().frontend().peerCancels().snapshot()) {
      r.row(p.peerId(), p.activeRequests(), p.waitingRequests(), p.activeRequests(), 0);
    }
    return r;
  }
}
