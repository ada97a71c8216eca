package dev.breakwater.server.admin;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.protocol.Codec;
import dev.breakwater.protocol.MessageType;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.TransactionStatus;
import dev.breakwater.server.CloseReason;
import dev.breakwater.server.frontend.AdminConsole;
import dev.breakwater.server.frontend.ClientConnection;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One admin console connection. Simple query protocol only: each Query is parsed and run, and
 * answered with rows or a notice, CommandComplete and ReadyForQuery. A command that waits (PAUSE,
 * WAIT_CLOSE) holds the queries that follow until it is answered. Any message of the extended
 * protocol is refused with 08P01 and the connection closed, as PgBouncer does.
 */
final class ConsoleSession implements AdminConsole.Session {

  private static final Logger log = LoggerFactory.getLogger(ConsoleSession.class);

  private final Console console;
  private final ClientConnection client;
  private final boolean admin;
  /** Queries received while a command waits; touched on the client's loop only. */
  private final ArrayDeque<String> queued = new ArrayDeque<>();
  private boolean busy;
  private boolean closing;
  private String query;

  ConsoleSession(Console console, ClientConnection client, boolean admin) {
    this.console = console;
    this.client = client;
    this.admin = admin;
  }

  boolean admin() {
    return admin;
  }

  /** The query being run, for error messages. */
  String query() {
    return query;
  }

  void logCommand() {
    log.info("{}: admin command: {}", client, query);
  }

  @Override
  public void onMessage(byte type, ByteBuf message) {
    if (closing) {
      return;
    }
    if (type != MessageType.QUERY) {
      String what =
          type == MessageType.PARSE || type == MessageType.BIND || type == MessageType.EXECUTE
                  || type == MessageType.DESCRIBE || type == MessageType.SYNC
              ? "extended query protocol not supported by admin console"
              : "unsupported packet type for admin console: " + MessageType.describe(type);
      refuse(what);
      return;
    }
    String text = Codec.readCString(Codec.body(message));
    if (busy) {
      queued.add(text);
    } else {
      run(text);
    }
  }

  private void run(String text) {
    query = text;
    if (text.isBlank()) {
      ByteBuf out = client.channel().alloc().buffer();
      BackendMessages.emptyQueryResponse(out);
      BackendMessages.readyForQuery(out, TransactionStatus.IDLE);
      client.channel().writeAndFlush(out);
      return;
    }
    // As in PgBouncer, a console command counts as a transaction and a query of database
    // pgbouncer, the one being answered included (SHOW TOTALS counts itself).
    dev.breakwater.server.stats.PoolStats counters = console.observed().observer().console();
    counters.transaction(0);
    counters.query(0);
    CompletionStage<Reply> reply;
    try {
      CommandLine line = CommandLine.parse(text);
      if (line == null) {
        throw Console.syntax(text);
      }
      reply = console.run(this, line);
    } catch (AdminException e) {
      error(e.sqlState(), e.getMessage());
      return;
    } catch (RuntimeException e) {
      log.warn("{}: admin command failed: {}", client, text, e);
      error(SqlState.INTERNAL_ERROR, "internal error: " + e);
      return;
    }
    busy = true;
    reply.whenComplete(
        (r, failure) -> client.eventLoop().execute(() -> answer(r, failure)));
  }

  private void answer(Reply r, Throwable failure) {
    busy = false;
    if (client.isClosed()) {
      return;
    }
    if (failure != null) {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      if (cause instanceof AdminException e) {
        error(e.sqlState(), e.getMessage());
      } else {
        log.warn("{}: admin command failed: {}", client, query, cause);
        error(SqlState.INTERNAL_ERROR, "internal error: " + cause);
      }
    } else {
      ByteBuf out = client.channel().alloc().buffer();
      if (r.notice() != null) {
        BackendMessages.notice(out, r.notice());
      }
      if (r.result() != null) {
        r.result().encode(out);
      }
      BackendMessages.commandComplete(out, r.tag());
      BackendMessages.readyForQuery(out, TransactionStatus.IDLE);
      client.channel().writeAndFlush(out);
    }
    String next = queued.poll();
    if (next != null) {
      run(next);
    }
  }

  private void error(String sqlState, String message) {
    log.info("{}: admin console error: {}", client, message);
    ByteBuf out = client.channel().alloc().buffer();
    BackendMessages.error(out, "ERROR", sqlState, message);
    BackendMessages.readyForQuery(out, TransactionStatus.IDLE);
    client.channel().writeAndFlush(out);
    String next = busy ? null : queued.poll();
    if (next != null) {
      run(next);
    }
  }

  private void refuse(String message) {
    closing = true;
    log.info("{}: admin console: {}", client, message);
    ByteBuf out = client.channel().alloc().buffer();
    BackendMessages.error(out, "ERROR", SqlState.PROTOCOL_VIOLATION, message);
    client.channel().writeAndFlush(out).addListener(f -> client.close(CloseReason.CLIENT_PROTOCOL_VIOLATION));
  }
}
