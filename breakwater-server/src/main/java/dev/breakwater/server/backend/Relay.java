package dev.breakwater.server.backend;

import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.pool.ServerState;
import dev.breakwater.server.CloseReason;
import io.netty.buffer.ByteBuf;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replication client's own server: linked at login to that client only, every byte relayed both
 * ways unread, closed with its client. On the server's loop (which is the client's).
 */
final class Relay {

  private static final Logger log = LoggerFactory.getLogger(ServerConnection.class);

  private final ServerConnection s;

  Relay(ServerConnection s) {
    this.s = s;
  }

  // ---- Replication: one client, every byte relayed ----

  /** Logged in: the server becomes its replication client's, whose login ends now. */
  void linkReplication() {
    LinkedClient c = s.replicationFor;
    Link l = c.link();
    if (s.pool.replicationLinked(s) && l.attach(s)) {
      s.link = l;
      s.used = true;
    } else {
      s.close(CloseReason.REPLICATION_CLIENT_GONE);
      return;
    }
    s.pool.stats().assigned(System.nanoTime() - c.waitStartedNanos());
    c.replicationLinked(Map.copyOf(s.parameters.reported));
    s.channel.config().setAutoRead(true);
  }

  /** What the server sent, to its replication client as it came. */
  private final FrameScanner.Handler serverBytes =
      new FrameScanner.Handler() {
        @Override
        public boolean onMessage(byte type, ByteBuf message) {
          return true;
        }

        @Override
        public void onForward(ByteBuf bytes) {
          if (s.replies.readTarget == null) {
            bytes.release();
          } else {
            s.outbox.add(bytes);
          }
        }
      };

  void relayFromServer(ByteBuf in) {
    try {
      if (s.stateRef.get() == ServerState.CLOSED) {
        return;
      }
      s.replies.readTarget = s.client();
      s.scanner.scan(in, serverBytes);
      s.replies.flushToClient();
    } catch (ProtocolException e) {
      s.outbox.clear();
      log.warn("S-{}: {} broke the protocol: {}", s.id, s.where(), e.getMessage());
      s.closeNow(CloseReason.SERVER_PROTOCOL_VIOLATION, null);
    } finally {
      in.release();
    }
  }

  void relayFromClient(Link l, ByteBuf batch) {
    if (s.link != l || s.stateRef.get() == ServerState.CLOSED) {
      batch.release();
      return;
    }
    s.pool.stats().received(batch.readableBytes());
    s.channel.writeAndFlush(batch, s.channel.voidPromise());
    if (!s.channel.isWritable()) {
      s.requests.pauseReadingFrom(l.client());
    }
  }

  /**
   * The error a replication client is closed with when its server goes: none when PostgreSQL ended
   * the session (its own error, if any, was relayed) or when the server stopped inside a message.
   */
  ErrorFields relayEndError(CloseReason reason, ErrorFields error, boolean atBoundary) {
    if (reason == CloseReason.SERVER_CLOSED
        || reason == CloseReason.SERVER_FATAL
        || reason == CloseReason.SERVER_IO_ERROR
        || reason == CloseReason.REPLICATION_CLIENT_GONE
        || !atBoundary) {
      return null;
    }
    return error != null
        ? error
        : ErrorFields.of("FATAL", SqlState.ADMIN_SHUTDOWN, "terminating connection: " + reason.description());
  }

  /**
   * A replication server that did not log in: its client gets PostgreSQL's error (its SQLSTATE,
   * detail and hint) as a failed login, as PgBouncer reports it ("login failed").
   */
  static ErrorFields replicationLoginError(ErrorFields error) {
    Map<Character, String> f = new java.util.LinkedHashMap<>(error.fields());
    f.put(ErrorFields.SEVERITY, "FATAL");
    f.put(ErrorFields.SEVERITY_NONLOCALIZED, "FATAL");
    f.put(ErrorFields.MESSAGE, "login failed: " + error.message());
    return new ErrorFields(f);
  }
}
