package dev.breakwater.server.frontend;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.ErrorFields;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.LogText;
import dev.breakwater.server.backend.ServerConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The errors that end a client, and the notice of a long wait: static helpers for {@link
 * ClientConnection}'s callbacks (from its login, its server, its pool), so the client keeps no
 * more state for them. Logged under ClientConnection's logger, as these lines always were.
 */
final class ClientErrors {

  private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);

  private ClientErrors() {}

  /** Sends the client a FATAL error and closes it (its login, or its session). */
  static void fatal(ClientConnection client, String sqlState, String message, String detail, CloseReason reason) {
    if (client.frontend().settings().general().logPoolerErrors()) {
      // The message may quote what the client sent (a database name, an option).
      log.warn("{}: closing because: {} ({})", client, LogText.escape(message), reason.description());
    }
    ErrorFields error = ErrorFields.of("FATAL", sqlState, message);
    if (detail != null) {
      Map<Character, String> f = new LinkedHashMap<>(error.fields());
      f.put(ErrorFields.DETAIL, detail);
      error = new ErrorFields(f);
    }
    sendAndClose(client, error, reason);
  }

  /** Sends the client {@code error}, closes it once that is written. On the client's loop. */
  static void sendAndClose(ClientConnection client, ErrorFields error, CloseReason reason) {
    Channel channel = client.channel();
    ByteBuf out = channel.alloc().buffer();
    error.encode(out, MessageType.ERROR_RESPONSE);
    channel.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
    client.closeNow(reason, false);
  }

  /**
   * Sends the client {@code error} and closes it. From any thread; the future completes once it is
   * done, on the client's loop (at once if the client was already closed).
   */
  static CompletableFuture<Void> closeWithError(ClientConnection client, ErrorFields error, CloseReason reason) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    if (client.eventLoop().isShuttingDown()) {
      // The loop went first (an edge client's, when the HTTP listener stopped before the pools):
      // its channel is closed with it; nothing is left to send.
      done.complete(null);
      return done;
    }
    try {
      client.eventLoop().execute(() -> {
        if (!client.isClosed()) {
          if (client.frontend().settings().general().logPoolerErrors()) {
            log.warn("{}: closing because: {} ({})", client, LogText.escape(error.message()),
                reason.description());
          }
          sendAndClose(client, error, reason);
        }
        done.complete(null);
      });
    } catch (RejectedExecutionException e) {
      done.complete(null); // as above, the loop stopped meanwhile
    }
    return done;
  }

  /** The client's linked server went away. From any thread. */
  static void serverLost(ClientConnection client, ServerConnection s, CloseReason reason, ErrorFields error) {
    client.eventLoop().execute(() -> {
      if (client.isClosed()) {
        return;
      }
      if (reason == CloseReason.SERVER_FATAL && error == null) {
        // The client had the FATAL error itself.
        log.info("{}: server {} ended the session", client, s);
        client.close(CloseReason.LINKED_SERVER_LOST);
        return;
      }
      ErrorFields e =
          error != null
              ? error
              : ErrorFields.of("FATAL", SqlState.CONNECTION_FAILURE, "server conn crashed?");
      log.warn("{}: closing because its server {} closed: {}", client, s, reason.description());
      sendAndClose(client, e, CloseReason.LINKED_SERVER_LOST);
    });
  }

  /** See {@link ClientConnection#serverLostMidMessage}. From the server's loop. */
  static void serverLostMidMessage(ClientConnection client, ServerConnection s, CloseReason reason) {
    client.eventLoop().execute(() -> {
      if (client.isClosed()) {
        return;
      }
      log.warn("{}: closing because its server {} closed in the middle of a message: {}", client, s,
          reason.description());
      client.close(CloseReason.LINKED_SERVER_LOST);
    });
  }

  /** Statement mode: the client opened a transaction. From the server's loop. */
  static void refuseTransaction(ClientConnection client) {
    client.eventLoop().execute(() -> {
      if (client.isClosed()) {
        return;
      }
      log.warn("{}: closing because: transaction blocks not allowed in statement pooling mode", client);
      sendAndClose(
          client,
          ErrorFields.of(
              "FATAL",
              SqlState.FEATURE_NOT_SUPPORTED,
              "transaction blocks not allowed in statement pooling mode"),
          CloseReason.TRANSACTION_IN_STATEMENT_MODE);
    });
  }

  /**
   * A replication client's server is gone: the client is closed once what the server sent has
   * been written, with {@code error} after it when that is given. From any thread.
   */
  static void relayEnded(ClientConnection client, ErrorFields error) {
    client.eventLoop().execute(() -> {
      if (client.isClosed()) {
        return;
      }
      if (error != null) {
        sendAndClose(client, error, CloseReason.LINKED_SERVER_LOST);
      } else {
        client.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        client.closeNow(CloseReason.LINKED_SERVER_LOST, false);
      }
    });
  }

  /** Tells the client, if it still waits the wait that started at {@code wait}, that it is queued. */
  static void waitingLong(ClientConnection client, String database, long wait) {
    client.eventLoop().execute(() -> {
      if (!client.isClosed() && client.state() == ClientState.WAITING && client.waitStartedNanos() == wait) {
        Channel channel = client.channel();
        ByteBuf out = channel.alloc().buffer(128);
        BackendMessages.notice(out, "NOTICE", SqlState.SUCCESSFUL_COMPLETION,
            "No server connection available in " + database + " backend, client being queued");
        channel.writeAndFlush(out);
      }
    });
  }
}
