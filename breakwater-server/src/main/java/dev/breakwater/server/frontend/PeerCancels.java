package dev.breakwater.server.frontend;

import dev.breakwater.server.config.PeerEntry;
import dev.breakwater.server.config.Settings;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a CancelRequest goes: to this process's client holding the key, or, with {@code peer_id}
 * set, to the peer process whose id the key carries (PgBouncer's peering: several processes behind
 * one port with {@code so_reuseport}, or behind a load balancer, where a cancel request's new
 * connection may reach another process than the query's). A forwarded request is sent on over a
 * connection of its own to that peer's {@code [peers]} address, with the key's TTL one less; the
 * client's connection is closed once the peer has closed that one, as PostgreSQL closes it once
 * the cancel is delivered. At most {@code pool_size} forwards to one peer are under way at once
 * (its line's, else {@code default_pool_size}); the others wait their turn.
 */
public final class PeerCancels {

  private static final Logger log = LoggerFactory.getLogger(PeerCancels.class);

  /** Sends a CancelRequest to a host and port (a directory: a Unix socket there). */
  public interface Forwarder {
    /** Completes on {@code loop} once the other end has closed the connection, or it failed. */
    Future<Void> forward(EventLoop loop, String host, int port, int processId, int secretKey);
  }

  /** SHOW PEER_POOLS: one peer's forwarding now. */
  public record Snapshot(int peerId, int activeRequests, int waitingRequests) {}

  private final Supplier<Settings> settings;
  private final CancelKeys keys;
  private final Map<Integer, PeerPool> pools = new ConcurrentSkipListMap<>();
  private volatile Forwarder forwarder;

  PeerCancels(Supplier<Settings> settings, CancelKeys keys) {
    this.settings = settings;
    this.keys = keys;
  }

  /** How requests reach peers; without one, requests for peers are dropped. */
  public void forwarder(Forwarder forwarder) {
    this.forwarder = forwarder;
  }

  /** The peers forwarded to so far, by id. */
  public List<Snapshot> snapshot() {
    List<Snapshot> out = new ArrayList<>();
    for (PeerPool p : pools.values()) {
      out.add(p.snapshot());
    }
    return out;
  }

  /** A CancelRequest on {@code ctx}'s connection: acted on or forwarded; the connection is closed. */
  void handle(ChannelHandlerContext ctx, int processId, int secretKey) {
    long key = CancelKeys.key(processId, secretKey);
    Settings s = settings.get();
    int own = s.general().peerId();
    if (own > 0) {
      int peer = CancelKeys.peerOf(key);
      if (peer != own) {
        // A key handed out here before peer_id was set (or changed) by a reload carries random
        // bits where the peer id goes, and random TTL bits: it is looked up as it is first, before
        // those bits can send it elsewhere or refuse it as exhausted.
        ClientConnection before = keys.find(processId, secretKey);
        if (before != null) {
          before.cancelRunningQuery();
          ctx.close();
          return;
        }
        forward(ctx, s, peer, key);
        return;
      }
      // Keys are kept with their TTL bits set; a forwarded request has fewer.
      key |= CancelKeys.TTL_MASK;
    }
    ClientConnection target = keys.find((int) (key >>> 32), (int) key);
    if (target != null) {
      target.cancelRunningQuery();
    } else {
      log.debug("cancel request with an unknown key from {}", ctx.channel().remoteAddress());
    }
    ctx.close();
  }

  private void forward(ChannelHandlerContext ctx, Settings s, int peer, long key) {
    if ((key & CancelKeys.TTL_MASK) == 0) {
      log.info("{}: failed to forward cancel request because its TTL was exhausted (peer {})",
          ctx.channel().remoteAddress(), peer);
      ctx.close();
      return;
    }
    PeerEntry entry = s.peers().get(peer);
    Forwarder f = forwarder;
    if (entry == null || f == null) {
      log.info("{}: could not find peer {} to forward a cancel request to", ctx.channel().remoteAddress(), peer);
      ctx.close();
      return;
    }
    long next = key - 1;
    int size = entry.poolSize() != null ? entry.poolSize() : s.general().defaultPoolSize();
    PeerPool pool = pools.computeIfAbsent(peer, PeerPool::new);
    pool.submit(
        Math.max(1, size),
        () -> {
          log.debug("forwarding a cancel request to peer {} ({}:{})", peer, entry.host(), entry.port());
          f.forward(ctx.channel().eventLoop(), entry.host(), entry.port(), (int) (next >>> 32), (int) next)
              .addListener(done -> {
                pool.done();
                ctx.close();
              });
        });
  }

  /** The forwards to one peer: under way, and waiting for a place. */
  private static final class PeerPool {
    private final int peerId;
    private int active;
    private final ArrayDeque<Runnable> waiting = new ArrayDeque<>();

    PeerPool(int peerId) {
      this.peerId = peerId;
    }

    void submit(int size, Runnable send) {
      synchronized (this) {
        if (active >= size) {
          waiting.add(send);
          return;
        }
        active++;
      }
      send.run();
    }

    void done() {
      Runnable next;
      synchronized (this) {
        next = waiting.poll();
        if (next == null) {
          active--;
          return;
        }
      }
      next.run();
    }

    synchronized Snapshot snapshot() {
      return new Snapshot(peerId, active, waiting.size());
    }
  }
}
