package dev.breakwater.server.frontend;

import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import java.net.SocketAddress;

/**
 * Marks a client that came through the HTTP listener rather than the PostgreSQL port: a {@code
 * POST /sql} request ({@link Kind#HTTP}) or a WebSocket session on {@code /v2} ({@link Kind#WS}).
 * Such a client goes through the same {@link StartupHandler}, {@link ClientLogin} and {@link
 * ClientConnection} as a TCP client, with two differences: its peer is the HTTP client's address
 * (for hba rules, logs and SHOW CLIENTS), it is encrypted when its HTTP connection is ({@code tls}:
 * for client_tls_sslmode and hba rules), and its login always asks for a cleartext password whatever auth_type says, since
 * Neon's driver sends the password before it is asked (see docs/edge.md).
 */
public record EdgeClient(Kind kind, SocketAddress peer, boolean tls) {

  /** Where the client came from. */
  public enum Kind {
    HTTP,
    WS
  }

  public static final AttributeKey<EdgeClient> KEY = AttributeKey.valueOf("breakwater.edge");

  /** The edge client a channel carries, or null for a TCP or Unix socket client. */
  public static EdgeClient of(Channel channel) {
    // hasAttr first: attr() would add an empty attribute to every TCP client's channel.
    return channel == null || !channel.hasAttr(KEY) ? null : channel.attr(KEY).get();
  }

  /** Marks {@code channel} as carrying an edge client. */
  public static void mark(Channel channel, Kind kind, SocketAddress peer, boolean tls) {
    channel.attr(KEY).set(new EdgeClient(kind, peer, tls));
  }

  /** Whether the client's connection is encrypted, by its own TLS or that of its HTTP connection. */
  public static boolean encrypted(Channel channel) {
    if (channel.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null) {
      return true;
    }
    EdgeClient e = of(channel);
    return e != null && e.tls();
  }
}
