package dev.breakwater.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.breakwater.protocol.StartupPacket.CancelRequest;
import dev.breakwater.protocol.StartupPacket.GssEncRequest;
import dev.breakwater.protocol.StartupPacket.SslRequest;
import dev.breakwater.protocol.StartupPacket.StartupMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StartupPacketTest {

  private static StartupPacket roundTrip(ByteBuf b) {
    try {
      return StartupPacket.decode(b);
    } finally {
      b.release();
    }
  }

  @Test
  void startupMessageRoundTrips() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("user", "alice");
    params.put("database", "shop");
    params.put("application_name", "psql");
    ByteBuf b = Unpooled.buffer();
    FrontendMessages.startupMessage(b, params);
    StartupMessage m = (StartupMessage) roundTrip(b);
    assertThat(m.majorVersion()).isEqualTo(3);
    assertThat(m.minorVersion()).isZero();
    assertThat(m.parameters()).containsExactlyEntriesOf(params);
    assertThat(m.database()).isEqualTo("shop");
  }

  @Test
  void databaseDefaultsToUser() {
    ByteBuf b = Unpooled.buffer();
    FrontendMessages.startupMessage(b, Map.of("user", "bob"));
    assertThat(((StartupMessage) roundTrip(b)).database()).isEqualTo("bob");
  }

  @Test
  void sslGssAndCancelRequests() {
    ByteBuf ssl = Unpooled.buffer();
    FrontendMessages.sslRequest(ssl);
    assertThat(roundTrip(ssl)).isInstanceOf(SslRequest.class);
    assertThat(roundTrip(Unpooled.buffer().writeInt(8).writeInt(80877104)))
        .isInstanceOf(GssEncRequest.class);
    ByteBuf cancel = Unpooled.buffer();
    FrontendMessages.cancelRequest(cancel, 1234, -99);
    assertThat(roundTrip(cancel)).isEqualTo(new CancelRequest(1234, -99));
  }

  @Test
  void protocol32IsDecodedForNegotiation() {
    ByteBuf b = Unpooled.buffer().writeInt(0).writeInt((3 << 16) | 2);
    b.writeBytes("user\0u\0_pq_.x\0y\0\0".getBytes());
    b.setInt(0, b.readableBytes());
    StartupMessage m = (StartupMessage) roundTrip(b);
    assertThat(m.minorVersion()).isEqualTo(2);
    assertThat(m.parameters()).containsKey("_pq_.x");
  }

  @Test
  void malformedPacketsAreRefused() {
    assertThatThrownBy(() -> roundTrip(Unpooled.buffer().writeInt(4).writeInt(0)))
        .isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> roundTrip(Unpooled.buffer().writeInt(12).writeInt(2 << 16).writeInt(0)))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("unsupported frontend protocol 2.0");
    ByteBuf noValue = Unpooled.buffer().writeInt(0).writeInt(3 << 16);
    noValue.writeBytes("user\0".getBytes());
    noValue.setInt(0, noValue.readableBytes());
    assertThatThrownBy(() -> roundTrip(noValue)).isInstanceOf(ProtocolException.class);
    ByteBuf unterminated = Unpooled.buffer().writeInt(0).writeInt(3 << 16);
    unterminated.writeBytes("user\0bob".getBytes());
    unterminated.setInt(0, unterminated.readableBytes());
    assertThatThrownBy(() -> roundTrip(unterminated)).isInstanceOf(ProtocolException.class);
  }
}
