package dev.breakwater.server.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * The peer id sits where PgBouncer puts it, so that Breakwater and PgBouncer processes can forward
 * each other's cancel requests: bytes 1 (low 8 bits) and 2 (high 8 bits) of the 8-byte key, as
 * sent in BackendKeyData (process id, then secret, both big-endian).
 */
class CancelKeysTest {

  @Test
  void thePeerIdIsInBytesOneAndTwoLowByteFirst() {
    long key = CancelKeys.withPeer(0x7F_00_00_11_22_33_44_55L, 0x0102);
    byte[] wire = ByteBuffer.allocate(8).putLong(key).array();
    assertThat(wire[1]).isEqualTo((byte) 0x02);
    assertThat(wire[2]).isEqualTo((byte) 0x01);
    assertThat(wire[0]).as("the rest is kept").isEqualTo((byte) 0x7F);
    assertThat(wire[3]).isEqualTo((byte) 0x11);
    assertThat(CancelKeys.peerOf(key)).isEqualTo(0x0102);
  }

  @Test
  void theKeyOfAProcessIdAndSecretIsTheirEightBytes() {
    long key = CancelKeys.key(0x01020304, 0xF0F1F2F3);
    assertThat(ByteBuffer.allocate(8).putLong(key).array())
        .containsExactly(0x01, 0x02, 0x03, 0x04, 0xF0, 0xF1, 0xF2, 0xF3);
    assertThat(CancelKeys.peerOf(key)).isEqualTo(0x0302);
    assertThat(CancelKeys.peerOf(CancelKeys.withPeer(key, 16383))).isEqualTo(16383);
  }
}
