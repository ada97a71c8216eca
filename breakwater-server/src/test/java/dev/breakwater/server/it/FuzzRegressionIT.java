package dev.breakwater.server.it;

import dev.breakwater.server.it.FuzzStep.Shape;
import org.junit.jupiter.api.Test;

/**
 * Conversations {@link ProtocolFuzzIT} found breaking an invariant, shrunk, replayed on a fresh
 * pooler of the shape they failed on (pool size, clients, event loops). Each must pass. The
 * step language is {@link FuzzStep}: "client KIND argument"; the argument picks the variant
 * ({@link FuzzActions#variant}), e.g. DISC_EXT_FLUSH 455 is variant 0 (BEGIN).
 */
class FuzzRegressionIT {

  @Test
  void aSimpleConversation() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 2, 1), "0 CHECK 0; 1 CHECK 1; 0 Q_INSERT 0; 1 COPY_OUT 0");
  }

  /** Parse/Bind/Execute of BEGIN, Flush, gone: the next client must not inherit the transaction. */
  @Test
  void anUnsyncedBeginOfALeavingClientIsNotTheNextClientsTransaction() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 4, 1), "0 DISC_EXT_FLUSH 455; 3 X_FLUSH_THEN_SYNC 996");
  }

  /** SELECT 1/0, Flush, gone: the server waits for a Sync; the next client must not hang. */
  @Test
  void anUnsyncedErrorOfALeavingClientDoesNotHangTheNextClient() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 3, 1), "1 DISC_EXT_FLUSH 907; 0 X_PIPELINE 467");
  }

  /** DO $$BEGIN SET search_path = ...; END$$: the setting must not reach the next client. */
  @Test
  void aSetInADoBlockDoesNotLeak() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 2, 2), "1 SETTING 292");
  }

  /** INSERT, Flush, gone: the next client's Sync must not commit the write of the one that left. */
  @Test
  void anUnsyncedInsertOfALeavingClientIsNeverCommitted() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 3, 2), "1 DISC_EXT_FLUSH 981; 0 X_INSERT 721");
  }

  /** The same, when the next client also leaves mid-statement (pg_sleep, Flush, gone). */
  @Test
  void anUnsyncedInsertIsNotCommittedWhenTheNextClientLeavesToo() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 4, 2), "0 DISC_EXT_FLUSH 36; 0 DISC_EXT_FLUSH 624");
  }

  /** SET in an unsynced extended batch, Flush, gone: the next client must not see the setting. */
  @Test
  void anUnsyncedSetOfALeavingClientDoesNotLeak() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 4, 1), "0 DISC_EXT_FLUSH 663; 0 CHECK 581");
  }

  /**
   * A function's SET made the session uncertain; the client's next SET was sent while the state
   * check ran, and the check's adoption forgot it (then RESET ALL took it from the server).
   */
  @Test
  void aSetSentWhileTheStateCheckRunsIsKept() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 2, 2),
        "1 X_FLUSH_THEN_SYNC 905; 0 SETTING 3; 0 SETTING 900; 0 CHECK 843");
  }

  /**
   * A tracked SET of a placeholder (fuzz.owner), then a function setting work_mem, after which the
   * pooler reads the state back: pg_settings does not list placeholders, and the check's adoption
   * dropped it. (Found as "1 SETTING 39; 1 CHECK 392; 1 CHECK 5", when the isolation check itself
   * called a function the pooler did not know.)
   */
  @Test
  void aTrackedPlaceholderSurvivesAStateCheck() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 4, 2), "1 SETTING 39; 1 SETTING 13; 1 CHECK 392; 1 CHECK 5");
  }

  /**
   * Found by a 30-minute run (seed 1219861725): SET LOCAL of a placeholder, then a DO block's SET
   * of it, committed. The pooler cannot read a placeholder back, so the client keeps the DO block's
   * value only while it keeps that server (docs/architecture.md); the model had expected the SET
   * LOCAL's value as the alternative instead of the session's. Fails one run in four or so without
   * the model's fix, depending on whether the CHECK reaches the server before its state check ends.
   */
  @Test
  void wrongSetting1219861725() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(2, 2, 1),
        "1 BEGIN 428; 1 SETTING 275; 1 SETTING 842; 1 COMMIT 515; 1 CHECK 552");
  }

  /**
   * Found by a 30-minute run (seed 3012582230): a transaction-level advisory lock taken after a
   * savepoint is released by ROLLBACK TO it, in PostgreSQL; the model had kept it.
   */
  @Test
  void lostLock3012582230() throws Exception {
    ProtocolFuzzIT.assertPasses(new Shape(1, 2, 2),
        "1 BEGIN 49; 1 SAVEPOINT 459; 1 ADVISORY_XACT_LOCK 518; 1 ROLLBACK_TO 329; 1 CHECK 230");
  }
}
