package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.testkit.TestPostgres.Roles;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import java.sql.Connection;
import org.junit.jupiter.api.Test;

/**
 * pgbouncer.ini's tcp_keepalive, tcp_keepidle, tcp_keepintvl, tcp_keepcnt and tcp_user_timeout
 * reach the sockets of clients and of servers (read back from the sockets, epoll transport).
 */
class TcpOptionsIT {

  @Test
  void keepaliveAndUserTimeoutAreSetOnClientsAndServers() throws Exception {
    assumeTrue(Epoll.isAvailable(), "the options are read back through the epoll transport");
    try (Pooler pooler =
            Pooler.builder()
                .set("tcp_keepalive", "1")
                .set("tcp_keepidle", "37")
                .set("tcp_keepintvl", "11")
                .set("tcp_keepcnt", "4")
                .set("tcp_user_timeout", "12345")
                .start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      assertThat(pooler.breakwater().transport().name()).isEqualTo("epoll");
      c.setAutoCommit(false);
      assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      Pool pool = pooler.breakwater().pools().all().iterator().next();
      ClientConnection client = pool.clients(ClientConnection.class).iterator().next();
      Channel server = pool.servers(ServerConnection.class).get(0).channel();
      for (Channel ch : new Channel[] {client.channel(), server}) {
        assertThat(ch.config().getOption(ChannelOption.SO_KEEPALIVE)).as("%s keepalive", ch).isTrue();
        assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).as("%s nodelay", ch).isTrue();
        assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPIDLE)).as("%s keepidle", ch).isEqualTo(37);
        assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPINTVL)).as("%s keepintvl", ch).isEqualTo(11);
        assertThat(ch.config().getOption(EpollChannelOption.TCP_KEEPCNT)).as("%s keepcnt", ch).isEqualTo(4);
        assertThat(ch.config().getOption(EpollChannelOption.TCP_USER_TIMEOUT)).as("%s user timeout", ch).isEqualTo(12345);
      }
      c.commit();
    }
  }

  @Test
  void keepaliveOffIsOff() throws Exception {
    try (Pooler pooler = Pooler.builder().set("tcp_keepalive", "0").start();
        Connection c = pooler.connect(Roles.PLAIN)) {
      c.setAutoCommit(false);
      assertThat(Sql.one(c, "SELECT 1")).isEqualTo("1");
      Pool pool = pooler.breakwater().pools().all().iterator().next();
      Channel client = pool.clients(ClientConnection.class).iterator().next().channel();
      Channel server = pool.servers(ServerConnection.class).get(0).channel();
      assertThat(client.config().getOption(ChannelOption.SO_KEEPALIVE)).isFalse();
      assertThat(server.config().getOption(ChannelOption.SO_KEEPALIVE)).isFalse();
      // One read-size allocator for all connections, not one that each idle client keeps.
      assertThat((Object) client.config().getRecvByteBufAllocator()).isSameAs(server.config().getRecvByteBufAllocator());
      c.commit();
    }
  }
}
