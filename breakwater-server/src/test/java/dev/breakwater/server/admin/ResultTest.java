package dev.breakwater.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.protocol.Codec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** A result on the wire (RowDescription and DataRows, text format) and as JSON. */
class ResultTest {

  static Result sample() {
    return Result.of("name", ColumnType.TEXT, "count", ColumnType.INT4, "total", ColumnType.NUMERIC)
        .row("a \"b\"", 1, 123456789012L)
        .row(null, 2, 0L);
  }

  @Test
  void encodesRowDescriptionAndDataRows() {
    ByteBuf out = Unpooled.buffer();
    sample().encode(out);
    assertThat(out.readByte()).isEqualTo((byte) 'T');
    int length = out.readInt();
    ByteBuf desc = out.readSlice(length - 4);
    assertThat(desc.readShort()).isEqualTo((short) 3);
    assertThat(Codec.readCString(desc)).isEqualTo("name");
    desc.skipBytes(6);
    assertThat(desc.readInt()).isEqualTo(25);
    assertThat(desc.readShort()).isEqualTo((short) -1);
    desc.skipBytes(6);
    assertThat(Codec.readCString(desc)).isEqualTo("count");
    desc.skipBytes(6);
    assertThat(desc.readInt()).isEqualTo(23);
    assertThat(desc.readShort()).isEqualTo((short) 4);
    desc.skipBytes(6);
    assertThat(Codec.readCString(desc)).isEqualTo("total");
    desc.skipBytes(6);
    assertThat(desc.readInt()).isEqualTo(1700);

    assertThat(out.readByte()).isEqualTo((byte) 'D');
    out.readInt();
    assertThat(out.readShort()).isEqualTo((short) 3);
    int n = out.readInt();
    assertThat(out.readCharSequence(n, StandardCharsets.UTF_8).toString()).isEqualTo("a \"b\"");
    n = out.readInt();
    assertThat(out.readCharSequence(n, StandardCharsets.UTF_8).toString()).isEqualTo("1");
    n = out.readInt();
    assertThat(out.readCharSequence(n, StandardCharsets.UTF_8).toString()).isEqualTo("123456789012");
    assertThat(out.readByte()).isEqualTo((byte) 'D');
    out.readInt();
    out.readShort();
    assertThat(out.readInt()).as("NULL").isEqualTo(-1);
    out.release();
  }

  @Test
  void jsonHasNumbersAsNumbers() {
    assertThat(sample().toJson())
        .isEqualTo("[{\"name\":\"a \\\"b\\\"\",\"count\":1,\"total\":123456789012},{\"name\":null,\"count\":2,\"total\":0}]");
  }

  @Test
  void timesAreTextWithTheZone() {
    String t = Result.text(Instant.parse("2025-01-31T12:00:00Z"));
    assertThat(t).matches("2025-01-3[01] \\d\\d:\\d\\d:00 .+");
  }

  @Test
  void rowsMustFitTheColumns() {
    assertThatThrownBy(() -> Result.of("a", ColumnType.TEXT).row("x", "y"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
