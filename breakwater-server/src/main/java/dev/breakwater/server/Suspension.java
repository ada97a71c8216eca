package dev.breakwater.server;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.pool.Pools;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOutboundBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SUSPEND and the RESUME that ends it: no connection accepted, nothing read from clients or
 * servers. Not locked: {@link Breakwater} calls {@link #suspend} and {@link #resume} under its
 * lock; {@link #admit} runs on the event loops.
 */
final class Suspension {

  /** Breakwater's logger: these are the server's own lines, and log settings name it. */
  private static final Logger log = LoggerFactory.getLogger(Breakwater.class);

  private final Pools pools;
  private final Listeners listeners;
  /** Completes a future once a condition holds, checked every janitor tick. */
  private final Function<BooleanSupplier, CompletableFuture<Void>> when;
  private volatile boolean suspended;
  /** Connections a listener accepted as SUSPEND began (a last accept may still run): held too. */
  private final List<Channel> acceptedWhileSuspended = new ArrayList<>();

  Suspension(Pools pools, Listeners listeners, Function<BooleanSupplier, CompletableFuture<Void>> when) {
    this.pools = pools;
    this.listeners = listeners;
    this.when = when;
  }

  boolean isSuspended() {
    return suspended;
  }

  /** For a connection a listener just accepted: held like the others while suspended. */
  void admit(Channel ch) {
    if (suspended) {
      synchronized (acceptedWhileSuspended) {
        acceptedWhileSuspended.add(ch);
      }
      SuspendGate.close(ch);
    }
  }

  /**
   * SUSPEND: no new connection is accepted and nothing more is read from clients or servers; the
   * future completes once what was already on its way to them has been written. The admin
   * console's clients are not suspended (one of them will say RESUME). What a read under way as
   * SUSPEND began brings in is held, unread, until RESUME (see {@link SuspendGate}). Server
   * connections that open while suspended (for a client that was already waiting) are not held.
   */
  CompletableFuture<Void> suspend() {
    if (suspended || pools.isPaused(null)) {
      return CompletableFuture.failedFuture(new IllegalStateException("already suspended/paused"));
    }
    suspended = true;
    log.info("SUSPEND");
    List<Channel> held = suspendedChannels();
    listeners.autoRead(false);
    for (Channel ch : held) {
      SuspendGate.close(ch);
    }
    return when.apply(
        () -> {
          for (Channel ch : held) {
            ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
            if (ch.isActive() && out != null && out.totalPendingWriteBytes() > 0) {
              return false;
            }
          }
          return true;
        });
  }

  /** Every client connection in a pool and every server connection. */
  private List<Channel> suspendedChannels() {
    List<Channel> out = new ArrayList<>();
    for (Pool p : pools.all()) {
      for (ClientConnection c : p.clients(ClientConnection.class)) {
        out.add(c.channel());
      }
      for (ServerConnection s : p.servers(ServerConnection.class)) {
        if (s.channel() != null) {
          out.add(s.channel());
        }
      }
    }
    return out;
  }

  /** RESUME after SUSPEND: reading and accepting start again. */
  void resume() {
    if (!suspended) {
      return;
    }
    suspended = false;
    List<Channel> held = suspendedChannels();
    synchronized (acceptedWhileSuspended) {
      held.addAll(acceptedWhileSuspended);
      acceptedWhileSuspended.clear();
    }
    for (Channel ch : held) {
      SuspendGate.open(ch);
    }
    listeners.autoRead(true);
    log.info("RESUME after SUSPEND");
  }
}
