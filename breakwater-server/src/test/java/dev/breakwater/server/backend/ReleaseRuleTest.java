package dev.breakwater.server.backend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.server.backend.ReleaseRule.AtReady;
import dev.breakwater.server.backend.ReleaseRule.State;
import dev.breakwater.server.backend.ReleaseRule.OnLeave;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The release rule on every combination of what a link can be in. */
class ReleaseRuleTest {

  private static final State DONE = new State(0, 0, true, false, false, 0);

  @Test
  void aFinishedLinkInTransactionModeIsReleased() {
    assertThat(ReleaseRule.atReady(DONE, true, false, false, false)).isEqualTo(AtReady.RELEASE);
    assertThat(ReleaseRule.atReady(DONE, true, true, false, false)).isEqualTo(AtReady.RELEASE);
  }

  @Test
  void anUncertainSessionIsCheckedFirst() {
    assertThat(ReleaseRule.atReady(DONE, true, false, false, true)).isEqualTo(AtReady.CHECK_STATE);
  }

  @Test
  void sessionModeAndPinsKeepTheServer() {
    assertThat(ReleaseRule.atReady(DONE, false, false, false, false)).isEqualTo(AtReady.KEEP);
    assertThat(ReleaseRule.atReady(DONE, true, false, true, true)).isEqualTo(AtReady.KEEP);
  }

  @Test
  void statementModeRefusesATransaction() {
    State inTransaction = new State(0, 0, false, false, false, 0);
    assertThat(ReleaseRule.atReady(inTransaction, true, true, false, false)).isEqualTo(AtReady.REFUSE);
    assertThat(ReleaseRule.atReady(inTransaction, true, false, false, false)).isEqualTo(AtReady.KEEP);
  }

  /** Whatever else holds, a link with anything unfinished is never released. */
  @Test
  void anUnfinishedLinkIsNeverReleasedNorChecked() {
    Random r = new Random(17);
    for (int i = 0; i < 10_000; i++) {
      State l = new State(r.nextInt(3), r.nextInt(2), r.nextBoolean(), r.nextBoolean(), r.nextBoolean(), r.nextInt(2));
      AtReady v = ReleaseRule.atReady(l, r.nextBoolean(), false, r.nextBoolean(), r.nextBoolean());
      if (!l.done()) {
        assertThat(v).as(l.toString()).isEqualTo(AtReady.KEEP);
      }
      if (v == AtReady.RELEASE || v == AtReady.CHECK_STATE) {
        assertThat(l.outstanding()).isZero();
        assertThat(l.inFlight()).isZero();
        assertThat(l.idle()).isTrue();
        assertThat(l.midMessage()).isFalse();
        assertThat(l.unsynced()).isFalse();
        assertThat(l.cancelsInFlight()).isZero();
      }
    }
  }

  @Test
  void aClientThatLeavesUnsyncedOrMidMessageClosesItsServer() {
    assertThat(ReleaseRule.onLeave(0, false, false, true, false)).isEqualTo(OnLeave.CLOSE);
    assertThat(ReleaseRule.onLeave(0, false, true, false, false)).isEqualTo(OnLeave.CLOSE);
    assertThat(ReleaseRule.onLeave(1, false, true, true, false)).isEqualTo(OnLeave.CLOSE);
  }

  @Test
  void aServerWithACancelOnItsWayIsNeverLentAgain() {
    assertThat(ReleaseRule.atReady(new State(0, 0, true, false, false, 1), true, false, false, false))
        .isEqualTo(AtReady.KEEP);
    assertThat(ReleaseRule.onLeave(0, false, false, false, true)).isEqualTo(OnLeave.CLOSE);
  }

  @Test
  void aClientThatLeavesWhileSomethingRunsCancelsIt() {
    assertThat(ReleaseRule.onLeave(1, false, false, false, false)).isEqualTo(OnLeave.CANCEL_AND_CLOSE);
    assertThat(ReleaseRule.onLeave(2, false, false, true, false)).isEqualTo(OnLeave.CANCEL_AND_CLOSE);
    assertThat(ReleaseRule.onLeave(0, true, false, false, false)).isEqualTo(OnLeave.CANCEL_AND_CLOSE);
  }

  @Test
  void aClientThatLeavesBetweenRequestsHasItsServerCleanedUp() {
    assertThat(ReleaseRule.onLeave(0, false, false, false, false)).isEqualTo(OnLeave.CLEAN_UP);
    assertThat(ReleaseRule.needsCleanup(false, false, null)).isFalse();
    assertThat(ReleaseRule.needsCleanup(true, false, null)).isTrue();
    assertThat(ReleaseRule.needsCleanup(false, true, null)).isTrue();
    assertThat(ReleaseRule.needsCleanup(false, false, "RESET ALL")).isTrue();
  }
}
