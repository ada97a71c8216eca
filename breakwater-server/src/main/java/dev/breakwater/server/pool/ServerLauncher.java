package dev.breakwater.server.pool;

import io.netty.channel.EventLoop;

/** How a pool makes servers: the running Breakwater supplies it. */
public interface ServerLauncher {
  /**
   * Makes a server connection for {@code pool} on {@code loop} (any loop when null), without any
   * I/O: {@link PooledServer#connect} starts it.
   */
  PooledServer create(Pool pool, EventLoop loop);

  /**
   * Makes the server of a replication client, for it alone ({@link PooledServer#isReplication}), on
   * its event loop, without any I/O.
   */
  default PooledServer createReplication(Pool pool, PoolClient client) {
    throw new UnsupportedOperationException("this launcher opens no replication server");
  }
}
