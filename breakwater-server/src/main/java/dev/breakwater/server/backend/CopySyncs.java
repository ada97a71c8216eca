package dev.breakwater.server.backend;

import dev.breakwater.protocol.MessageType;

/**
 * The Syncs PostgreSQL skips. In copy-in mode (COPY FROM STDIN) the server ignores Sync, so a
 * client of the extended protocol that sends Parse, Bind, Execute and Sync together (libpq's
 * PQexecParams, its pipeline mode), then the copy data, CopyDone and another Sync, gets one
 * ReadyForQuery for the two Syncs. The link counts a ReadyForQuery due per Sync: told how many
 * will not come, it releases the server at the real one instead of keeping it linked for good.
 *
 * <p>Counted: the Syncs written after the Execute that started the copy and before any other
 * message (CopyData included). The server read those in copy-in mode, before any data that could
 * have failed the copy, so they were skipped for certain. A Sync among the copy data is not
 * counted (the copy may have failed by then, and PostgreSQL would answer it); a client that sends
 * one keeps its server, as before. On the server's loop.
 */
final class CopySyncs {

  /** Syncs since the last Execute, before any other message. */
  private int syncs;
  private boolean counting;

  /** A message of the client's, as it is written to the server. */
  void clientMessage(byte type) {
    switch (type) {
      case MessageType.EXECUTE -> {
        syncs = 0;
        counting = true;
      }
      case MessageType.SYNC -> {
        if (counting) {
          syncs++;
        }
      }
      case MessageType.FLUSH -> { } // skipped in copy-in mode too, and answered by nothing
      case MessageType.QUERY, MessageType.FUNCTION_CALL -> {
        syncs = 0;
        counting = false;
      }
      default -> counting = false;
    }
  }

  /** The server sent CopyInResponse: the Syncs it skipped, taken. */
  int copyInStarted() {
    int n = syncs;
    clear();
    return n;
  }

  /** A new client, or the server cleaned: nothing counted. */
  void clear() {
    syncs = 0;
    counting = false;
  }
}
