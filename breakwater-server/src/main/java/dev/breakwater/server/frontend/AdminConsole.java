package dev.breakwater.server.frontend;

import dev.breakwater.protocol.FrameScanner;
import dev.breakwater.protocol.MessageType;
import io.netty.buffer.ByteBuf;
import java.util.Map;

/**
 * The virtual admin database ({@code pgbouncer}, alias {@code breakwater}). A client that logs in
 * to it gets an {@link Session} instead of a pool: its messages go to the session, which answers
 * them itself.
 */
public interface AdminConsole {

  /** The database names that reach the console. */
  static boolean isAdminDatabase(String database) {
    return "pgbouncer".equals(database) || "breakwater".equals(database);
  }

  /** Makes a logged-in client's {@code scanner} read every message whole, for its console session. */
  static void readWhole(FrameScanner scanner) {
    byte[] types = {
      MessageType.QUERY, MessageType.PARSE, MessageType.BIND, MessageType.DESCRIBE,
      MessageType.EXECUTE, MessageType.SYNC, MessageType.CLOSE, MessageType.FLUSH,
      MessageType.FUNCTION_CALL, MessageType.COPY_DATA, MessageType.COPY_DONE, MessageType.COPY_FAIL
    };
    for (byte t : types) {
      scanner.inspect(t, true);
    }
  }

  /** The ParameterStatus values sent at login (server_version and the like). */
  Map<String, String> parameters();

  /** A session for a logged-in client; {@code admin} false means SHOW commands only. */
  Session open(ClientConnection client, boolean admin);

  /** One console session. Runs on the client's event loop. */
  interface Session {
    /**
     * A whole message from the client, reader index at its type byte; valid only during the
     * call. Replies are written to {@code client.channel()}.
     */
    void onMessage(byte type, ByteBuf message);
  }
}
