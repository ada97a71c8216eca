package dev.breakwater.server.backend;

import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.FrontendMessages;
import dev.breakwater.server.pool.Pool;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LISTEN without pinning: one connection per pool, held by Breakwater, listens on every channel
 * that at least one client of the pool listens on, and hands each notification to every such
 * client, whether it is in a transaction on some server or idle between transactions.
 *
 * <p>The connection does not count against pool_size. It is opened on the first LISTEN and
 * reopened, with every channel listened again, if it is lost while clients listen.
 */
public final class Listener implements SessionTracker.Listens {

  private static final Logger log = LoggerFactory.getLogger(Listener.class);

  private final Backend backend;
  private final Pool pool;
  /** Guarded by this. */
  private final Map<String, Set<LinkedClient>> subscribers = new HashMap<>();
  /** A LISTEN or UNLISTEN to run, and who waits for it. */
  private record Command(String sql, java.util.concurrent.CompletableFuture<Void> done) {}

  private final ArrayDeque<Command> commands = new ArrayDeque<>();
  /** LISTENs sent and not yet done, by channel: a client's LISTEN returns when its is done. */
  private final Map<String, java.util.concurrent.CompletableFuture<Void>> listening = new HashMap<>();
  private Command running;
  private ServerConnection connection;
  private boolean ready;
  private boolean busy;

  Listener(Backend backend, Pool pool) {
    this.backend = backend;
    this.pool = pool;
  }

  @Override
  public synchronized java.util.concurrent.CompletableFuture<Void> listen(LinkedClient c, String channel) {
    Set<LinkedClient> set = subscribers.computeIfAbsent(channel, k -> new HashSet<>());
    if (set.isEmpty()) {
      java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
      listening.put(channel, done);
      done.whenComplete((v, e) -> {
        synchronized (Listener.this) {
          listening.remove(channel, done);
        }
      });
      command("LISTEN " + FrontendMessages.quoteIdentifier(channel), done);
    }
    set.add(c);
    c.listening().add(channel);
    c.listener(this);
    if (c.isClosed()) {
      // The client closed meanwhile, maybe before it could see this listener: not kept.
      unlistenAll(c);
    }
    java.util.concurrent.CompletableFuture<Void> pending = listening.get(channel);
    return pending != null ? pending : java.util.concurrent.CompletableFuture.completedFuture(null);
  }

  @Override
  public synchronized void unlisten(LinkedClient c, String channel) {
    c.listening().remove(channel);
    Set<LinkedClient> set = subscribers.get(channel);
    if (set != null && set.remove(c) && set.isEmpty()) {
      subscribers.remove(channel);
      command("UNLISTEN " + FrontendMessages.quoteIdentifier(channel), null);
    }
  }

  @Override
  public synchronized void unlistenAll(LinkedClient c) {
    for (String channel : Set.copyOf(c.listening())) {
      unlisten(c, channel);
    }
  }

  /** Clients listening on a channel: for views and tests. */
  public synchronized int subscribers(String channel) {
    Set<LinkedClient> set = subscribers.get(channel);
    return set == null ? 0 : set.size();
  }

  private void command(String sql, java.util.concurrent.CompletableFuture<Void> done) {
    commands.add(new Command(sql, done));
    if (connection == null) {
      connection = backend.createListener(pool, this);
      ready = false;
      busy = false;
      connection.connect();
      return;
    }
    next();
  }

  /** Sends the next command when the connection is free (lock held). */
  private void next() {
    if (!ready || busy || commands.isEmpty()) {
      return;
    }
    busy = true;
    running = commands.poll();
    String sql = running.sql();
    ServerConnection conn = connection;
    conn.eventLoop().execute(() -> conn.runListenerCommand(sql));
  }

  /** The listening connection logged in. */
  synchronized void onReady(ServerConnection conn) {
    if (conn != connection) {
      return;
    }
    ready = true;
    next();
  }

  /** A LISTEN or UNLISTEN finished. */
  synchronized void onCommandDone(ServerConnection conn) {
    if (conn != connection) {
      return;
    }
    busy = false;
    Command done = running;
    running = null;
    if (done != null && done.done() != null) {
      done.done().complete(null);
    }
    next();
  }

  /** A NotificationResponse: to every client listening on its channel. */
  void onNotification(ByteBuf message) {
    ByteBuf body = Codec.body(message);
    body.skipBytes(4);
    String channel = Codec.readCString(body);
    LinkedClient[] targets;
    synchronized (this) {
      Set<LinkedClient> set = subscribers.get(channel);
      if (set == null || set.isEmpty()) {
        return;
      }
      targets = set.toArray(new LinkedClient[0]);
    }
    for (LinkedClient c : targets) {
      c.deliverNotification(message.retainedDuplicate());
    }
  }

  /** The connection closed: listen again on a new one if anyone still listens. */
  synchronized void onClosed(ServerConnection conn) {
    if (conn != connection) {
      return;
    }
    connection = null;
    ready = false;
    busy = false;
    // Whoever waited for a LISTEN is let go: the new connection listens again below.
    for (Command c : commands) {
      if (c.done() != null) {
        c.done().complete(null);
      }
    }
    if (running != null && running.done() != null) {
      running.done().complete(null);
    }
    running = null;
    commands.clear();
    if (subscribers.isEmpty()) {
      return;
    }
    log.warn("the listening connection of pool {} closed; listening again on {} channels", pool.key(), subscribers.size());
    conn.eventLoop()
        .schedule(
            () -> {
              synchronized (Listener.this) {
                if (connection == null && !subscribers.isEmpty()) {
                  for (String channel : subscribers.keySet()) {
                    command("LISTEN " + FrontendMessages.quoteIdentifier(channel), null);
                  }
                }
              }
            },
            500,
            TimeUnit.MILLISECONDS);
  }

  /** Shutdown. */
  public synchronized void close() {
    if (connection != null) {
      ServerConnection conn = connection;
      connection = null;
      subscribers.clear();
      conn.close(dev.breakwater.server.CloseReason.SHUTDOWN);
    }
  }
}
