package dev.breakwater.server.admin;

import dev.breakwater.server.backend.ServerConnection;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.frontend.ClientState;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;

/**
 * The columns SHOW CLIENTS and SHOW SERVERS share, in PgBouncer's order, and how a connection
 * fills them. {@code ptr} and {@code link} name connections as the logs do ({@code C-12},
 * {@code S-7}) instead of printing memory addresses.
 */
final class Sockets {

  private Sockets() {}

  static Result header() {
    return Result.of(
        "type", ColumnType.TEXT,
        "user", ColumnType.TEXT,
        "database", ColumnType.TEXT,
        "replication", ColumnType.TEXT,
        "state", ColumnType.TEXT,
        "addr", ColumnType.TEXT,
        "port", ColumnType.INT4,
        "local_addr", ColumnType.TEXT,
        "local_port", ColumnType.INT4,
        "connect_time", ColumnType.TIME,
        "request_time", ColumnType.TIME,
        "wait", ColumnType.INT4,
        "wait_us", ColumnType.INT4,
        "close_needed", ColumnType.INT4,
        "ptr", ColumnType.TEXT,
        "link", ColumnType.TEXT,
        "remote_pid", ColumnType.INT4,
        "tls", ColumnType.TEXT,
        "application_name", ColumnType.TEXT,
        "prepared_statements", ColumnType.INT4,
        "id", ColumnType.INT8,
        // Breakwater's own, after PgBouncer's: why the client keeps its server in transaction mode.
        "pinned", ColumnType.TEXT);
  }

  /** A client's state as SHOW CLIENTS prints it; null for clients it does not list. */
  static String clientState(ClientConnection c) {
    return switch (c.state()) {
      case ACTIVE -> "active";
      case IDLE -> "idle";
      case WAITING -> "waiting";
      default -> null;
    };
  }

  static void client(Result r, ClientConnection c, String database, String state) {
    long now = System.nanoTime();
    long waitStarted = c.waitStartedNanos();
    long waitMicros =
        c.state() == ClientState.WAITING && waitStarted != 0 ? Math.max(0, now - waitStarted) / 1000 : 0;
    ServerConnection s = c.server();
    Instant connected = Observed.wallClock(c.connectedNanos());
    r.row(
        "C",
        c.user(),
        database,
        c.replication().showName(),
        state,
        host(c.channel() == null ? null : c.remoteAddress()),
        port(c.channel() == null ? null : c.remoteAddress()),
        localHost(c),
        port(c.channel() == null || edge(c) != null ? null : c.channel().localAddress()),
        connected,
        Observed.wallClock(c.lastActivityNanos()),
        (int) (waitMicros / 1_000_000),
        (int) (waitMicros % 1_000_000),
        0,
        "C-" + c.id(),
        s == null ? "" : "S-" + s.id(),
        0,
        dev.breakwater.server.tls.Tls.describe(c.channel()),
        applicationName(c),
        c.statementCount(),
        c.id(),
        s == null || s.pinReason() == null ? "" : s.pinReason());
  }

  static void server(Result r, ServerConnection s, String state) {
    ClientConnection c = (ClientConnection) s.client();
    boolean closeNeeded = s.closingReason() != null || s.generation() != s.pool().generation();
    SocketAddress remote = s.channel() == null ? null : s.channel().remoteAddress();
    SocketAddress local = s.channel() == null ? null : s.channel().localAddress();
    r.row(
        "S",
        s.pool().key().user(),
        s.pool().key().database(),
        s.replication().showName(),
        state,
        remote != null ? host(remote) : s.host(),
        remote != null ? port(remote) : s.pool().settings().serverPort(),
        host(local),
        port(local),
        Observed.wallClock(s.createdNanos()),
        Observed.wallClock(s.idleSinceNanos()),
        0,
        0,
        closeNeeded ? 1 : 0,
        "S-" + s.id(),
        c == null ? "" : "C-" + c.id(),
        s.backendPid(),
        dev.breakwater.server.tls.Tls.describe(s.channel()),
        c == null ? "" : applicationName(c),
        s.preparedStatementCount(),
        s.id(),
        s.pinReason() == null ? "" : s.pinReason());
  }

  /** A server's state as SHOW SERVERS prints it; null for closed ones. */
  static String serverState(ServerConnection s) {
    return switch (s.state()) {
      case ACTIVE -> "active";
      case IDLE -> "idle";
      case TESTED -> "tested";
      case LOGIN -> "new";
      default -> null;
    };
  }

  private static String applicationName(ClientConnection c) {
    try {
      String name = c.reportedParameters().get("application_name");
      return name == null ? "" : name;
    } catch (RuntimeException e) {
      // The map belongs to the client's server loop; a read that races a write is retried next time.
      return "";
    }
  }

  private static dev.breakwater.server.frontend.EdgeClient edge(ClientConnection c) {
    return dev.breakwater.server.frontend.EdgeClient.of(c.channel());
  }

  /** The local address; for a client of the HTTP listener its kind, "http" (POST /sql) or "ws" (/v2). */
  private static String localHost(ClientConnection c) {
    if (c.channel() == null) {
      return null;
    }
    dev.breakwater.server.frontend.EdgeClient e = edge(c);
    if (e != null) {
      return e.kind() == dev.breakwater.server.frontend.EdgeClient.Kind.HTTP ? "http" : "ws";
    }
    return host(c.channel().localAddress());
  }

  static String host(SocketAddress a) {
    if (a instanceof InetSocketAddress i) {
      return i.getAddress() != null ? i.getAddress().getHostAddress() : i.getHostString();
    }
    return a == null ? null : "unix";
  }

  static Integer port(SocketAddress a) {
    if (a instanceof InetSocketAddress i) {
      return i.getPort();
    }
    return a == null ? null : 0;
  }
}
