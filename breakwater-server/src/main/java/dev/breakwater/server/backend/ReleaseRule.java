package dev.breakwater.server.backend;

/**
 * The one rule for every moment a link between a client and a server may end: whether the server
 * goes back to the pool as it is, must be cleaned or checked first, or must be closed. A server
 * whose state the link does not know (mid extended-protocol exchange without Sync, mid message,
 * replies still due, a session state not followed) is never lent to another client as it is.
 *
 * <p>Pure functions of what the server connection knows, so that the rule is tested without a
 * server ({@code ReleaseRuleTest}).
 */
final class ReleaseRule {

  private ReleaseRule() {}

  /** What the link's state is when a ReadyForQuery arrives, or a state check ends. */
  record State(
      /** Replies (ReadyForQuery) the client still expects after this one. */
      int outstanding,
      /** Batches of the client's bytes on their way to the server's loop. */
      int inFlight,
      /** The server reported its session idle (not in a transaction block, not failed). */
      boolean idle,
      /** The client stopped inside a message: the server has part of it. */
      boolean midMessage,
      /** The client sent extended-protocol messages since its last Sync. */
      boolean unsynced,
      /** Cancel requests for this server that PostgreSQL has not taken yet: they could reach the next query. */
      int cancelsInFlight) {

    /** Everything the client asked is answered, and the server is in a state anyone may know. */
    boolean done() {
      return outstanding <= 0 && inFlight == 0 && idle && !midMessage && !unsynced && cancelsInFlight == 0;
    }
  }

  /** At a ReadyForQuery. */
  enum AtReady {
    /** The client keeps the server (more is due, a transaction is open, session mode, a pin). */
    KEEP,
    /** The client keeps the server until its session state has been read back. */
    CHECK_STATE,
    /** The server goes back to the pool (cleaned first if its session needs it). */
    RELEASE,
    /** Statement mode and the client opened a transaction: refused, rolled back, then back. */
    REFUSE
  }

  /**
   * @param transactionMode transaction or statement mode (not session mode)
   * @param statementMode statement mode, where a transaction block is refused
   */
  static AtReady atReady(
      State link, boolean transactionMode, boolean statementMode, boolean pinned, boolean uncertain) {
    if (statementMode && !link.idle()) {
      return AtReady.REFUSE;
    }
    if (!link.done() || !transactionMode || pinned) {
      return AtReady.KEEP;
    }
    return uncertain ? AtReady.CHECK_STATE : AtReady.RELEASE;
  }

  /** When the client leaves while linked. */
  enum OnLeave {
    /** Nothing left running: back to the pool through the cleanup (rollback, reset, discard). */
    CLEAN_UP,
    /** The server's state is not known: it is closed. */
    CLOSE,
    /** Something still runs for the client: cancelled, and the server closed. */
    CANCEL_AND_CLOSE
  }

  /**
   * @param expected replies the client still expected
   * @param ownQueryRunning Breakwater's own query for the client (its settings, a state check) runs
   * @param serverMidMessage the server has part of a client message
   * @param unsynced the client sent extended-protocol messages since its last Sync
   * @param cancelPending a cancel request for this server is still on its way
   */
  static OnLeave onLeave(
      int expected, boolean ownQueryRunning, boolean serverMidMessage, boolean unsynced, boolean cancelPending) {
    if (serverMidMessage || cancelPending) {
      // A cancel PostgreSQL has not taken yet could reach the next client's query.
      return OnLeave.CLOSE;
    }
    if (unsynced && expected == 0) {
      // An implicit transaction a Sync would commit, a BEGIN, or an error skipping to a Sync.
      return OnLeave.CLOSE;
    }
    if (expected > 0 || ownQueryRunning) {
      return OnLeave.CANCEL_AND_CLOSE;
    }
    return OnLeave.CLEAN_UP;
  }

  /**
   * After the link ended at a ReadyForQuery: whether the server needs Breakwater's own queries
   * (ROLLBACK, the reset query, DISCARD ALL or RESET ALL) before it goes back.
   */
  static boolean needsCleanup(boolean refused, boolean resetQueryAlways, String sessionCleanup) {
    return refused || resetQueryAlways || sessionCleanup != null;
  }
}
