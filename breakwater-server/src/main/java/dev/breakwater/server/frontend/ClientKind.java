package dev.breakwater.server.frontend;

import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketChannel;

/**
 * How a client reached the pooler: the PostgreSQL port over TCP, its Unix socket, a {@code POST
 * /sql} request or a WebSocket session on {@code /v2} of the HTTP listener ({@link EdgeClient}).
 * Counted per kind as clients open and close ({@link Frontend#clientCount(ClientKind)}), for the
 * dashboard and {@code breakwater_clients_by_kind}.
 */
public enum ClientKind {
  TCP("tcp"),
  UNIX("unix"),
  HTTP("http"),
  WS("ws");

  private final String label;

  ClientKind(String label) {
    this.label = label;
  }

  /** The name in metrics, JSON and SHOW CLIENTS: tcp, unix, http, ws. */
  public String label() {
    return label;
  }

  /** The kind of the client a channel carries. */
  public static ClientKind of(Channel channel) {
    EdgeClient edge = EdgeClient.of(channel);
    if (edge != null) {
      return edge.kind() == EdgeClient.Kind.HTTP ? HTTP : WS;
    }
    return channel instanceof DomainSocketChannel ? UNIX : TCP;
  }
}
