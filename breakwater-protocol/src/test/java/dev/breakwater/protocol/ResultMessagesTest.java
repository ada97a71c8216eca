package dev.breakwater.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** RowDescription and DataRow as Breakwater writes them for its own results. */
class ResultMessagesTest {

  @Test
  void rowDescription() {
    ByteBuf b = Unpooled.buffer();
    BackendMessages.rowDescription(b, List.of("id", "name"), List.of(20, 25), List.of(8, -1));
    assertThat(b.readByte()).isEqualTo(MessageType.ROW_DESCRIPTION);
    assertThat(b.readInt()).isEqualTo(b.readableBytes() + 4);
    assertThat(b.readShort()).isEqualTo((short) 2);
    assertThat(Codec.readCString(b)).isEqualTo("id");
    assertThat(b.readInt()).isZero();
    assertThat(b.readShort()).isZero();
    assertThat(b.readInt()).isEqualTo(20);
    assertThat(b.readShort()).isEqualTo((short) 8);
    assertThat(b.readInt()).isEqualTo(-1);
    assertThat(b.readShort()).isZero();
    assertThat(Codec.readCString(b)).isEqualTo("name");
    b.skipBytes(6);
    assertThat(b.readInt()).isEqualTo(25);
    assertThat(b.readShort()).isEqualTo((short) -1);
    b.skipBytes(6);
    assertThat(b.isReadable()).isFalse();
    b.release();
    assertThatThrownBy(() -> BackendMessages.rowDescription(Unpooled.buffer(), List.of("a"), List.of(), List.of()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dataRowWithNullAndUnicode() {
    ByteBuf b = Unpooled.buffer();
    BackendMessages.dataRow(b, Arrays.asList("é", null, ""));
    assertThat(b.readByte()).isEqualTo(MessageType.DATA_ROW);
    assertThat(b.readInt()).isEqualTo(b.readableBytes() + 4);
    assertThat(b.readShort()).isEqualTo((short) 3);
    assertThat(b.readInt()).isEqualTo(2);
    assertThat(b.readCharSequence(2, StandardCharsets.UTF_8).toString()).isEqualTo("é");
    assertThat(b.readInt()).isEqualTo(-1);
    assertThat(b.readInt()).isZero();
    assertThat(b.isReadable()).isFalse();
    b.release();
  }
}
