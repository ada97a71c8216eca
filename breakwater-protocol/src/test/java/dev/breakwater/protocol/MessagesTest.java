package dev.breakwater.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MessagesTest {

  @Test
  void errorResponseRoundTrips() {
    ByteBuf b = Unpooled.buffer();
    BackendMessages.error(b, "FATAL", SqlState.TOO_MANY_CONNECTIONS, "no more connections allowed");
    assertThat(b.getByte(0)).isEqualTo((byte) 'E');
    assertThat(b.getInt(1)).isEqualTo(b.readableBytes() - 1);
    ErrorFields f = ErrorFields.decode(b);
    assertThat(f.severity()).isEqualTo("FATAL");
    assertThat(f.sqlState()).isEqualTo("53300");
    assertThat(f.message()).isEqualTo("no more connections allowed");
    assertThat(f.isFatal()).isTrue();
    b.release();
  }

  @Test
  void authenticationRequestsDecode() {
    ByteBuf md5 = Unpooled.buffer();
    BackendMessages.authenticationMd5Password(md5, new byte[] {1, 2, 3, 4});
    Authentication a = Authentication.decode(md5);
    assertThat(a.code()).isEqualTo(Authentication.MD5_PASSWORD);
    assertThat(a.data()).containsExactly(1, 2, 3, 4);
    md5.release();

    ByteBuf sasl = Unpooled.buffer();
    BackendMessages.authenticationSasl(sasl, List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"));
    assertThat(Authentication.decode(sasl).mechanisms())
        .containsExactly("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256");
    sasl.release();

    ByteBuf cont = Unpooled.buffer();
    BackendMessages.authenticationSaslContinue(cont, "r=abc".getBytes(StandardCharsets.UTF_8));
    Authentication c = Authentication.decode(cont);
    assertThat(c.code()).isEqualTo(Authentication.SASL_CONTINUE);
    assertThat(new String(c.data(), StandardCharsets.UTF_8)).isEqualTo("r=abc");
    cont.release();

    ByteBuf bad = Unpooled.buffer().writeByte('R').writeInt(8).writeInt(5);
    assertThatThrownBy(() -> Authentication.decode(bad)).isInstanceOf(ProtocolException.class);
    bad.release();
  }

  @Test
  void fixedMessagesHaveTheirDocumentedBytes() {
    ByteBuf b = Unpooled.buffer();
    BackendMessages.readyForQuery(b, TransactionStatus.IN_TRANSACTION);
    assertThat(b.readableBytes()).isEqualTo(6);
    assertThat(b.getByte(0)).isEqualTo((byte) 'Z');
    assertThat(b.getInt(1)).isEqualTo(5);
    assertThat(TransactionStatus.of(b.getByte(5))).isEqualTo(TransactionStatus.IN_TRANSACTION);
    b.clear();
    BackendMessages.backendKeyData(b, 42, 7);
    assertThat(b.readableBytes()).isEqualTo(13);
    assertThat(b.getInt(5)).isEqualTo(42);
    b.clear();
    BackendMessages.parameterStatus(b, "TimeZone", "UTC");
    assertThat(b.toString(5, b.readableBytes() - 5, StandardCharsets.UTF_8))
        .isEqualTo("TimeZone\0UTC\0");
    b.clear();
    BackendMessages.negotiateProtocolVersion(b, 0, List.of("_pq_.a"));
    assertThat(b.getByte(0)).isEqualTo((byte) 'v');
    assertThat(b.getInt(5)).isZero();
    assertThat(b.getInt(9)).isEqualTo(1);
    b.clear();
    FrontendMessages.query(b, "SELECT 1");
    assertThat(b.getByte(0)).isEqualTo((byte) 'Q');
    assertThat(b.getInt(1)).isEqualTo(4 + 9);
    b.release();
    assertThatThrownBy(() -> TransactionStatus.of((byte) 'x')).isInstanceOf(ProtocolException.class);
  }

  @Test
  void quotingDoublesTheQuote() {
    assertThat(FrontendMessages.quoteLiteral("it's")).isEqualTo("'it''s'");
    assertThat(FrontendMessages.quoteLiteral("a\\b")).isEqualTo("E'a\\\\b'");
    assertThat(FrontendMessages.quoteIdentifier("a\"b")).isEqualTo("\"a\"\"b\"");
  }
}
