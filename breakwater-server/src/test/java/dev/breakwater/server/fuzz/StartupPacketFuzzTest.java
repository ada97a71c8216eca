package dev.breakwater.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.StartupPacket;
import dev.breakwater.testkit.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * StartupPacket.decode, the first bytes of every connection (StartupMessage, SSLRequest,
 * GSSENCRequest, CancelRequest): it returns a packet or throws ProtocolException, nothing else.
 */
@ExtendWith(LeakCheck.class)
class StartupPacketFuzzTest {

  static StartupPacket decode(byte[] bytes) {
    ByteBuf b = Unpooled.wrappedBuffer(bytes);
    try {
      return StartupPacket.decode(b);
    } catch (ProtocolException e) {
      return null;
    } finally {
      b.release();
    }
  }

  @Test
  void arbitraryBytes() {
    Fuzz.check(3000, Gen.bytes(64), StartupPacketFuzzTest::decode);
  }

  /** Right length, any body: past the length check. */
  @Test
  void framedArbitraryBody() {
    Fuzz.check(3000, Gen.bytes(64), body -> decode(Fuzz.concat(Fuzz.int32(body.length + 4), body)));
  }

  @Test
  void mutatedValidPackets() {
    Fuzz.check(5000, mutatedPackets(), StartupPacketFuzzTest::decode);
  }

  /** A well-formed StartupMessage decodes to its parameters. */
  @Test
  void validStartupMessagesRoundTrip() {
    Fuzz.check(1000, parameters(), params -> {
      StartupPacket p = decode(startup(3 << 16, params));
      assertThat(p).isInstanceOf(StartupPacket.StartupMessage.class);
      assertThat(((StartupPacket.StartupMessage) p).parameters()).isEqualTo(params);
    });
  }

  /** Regression: fewer than four bytes (no room for the length) was an IndexOutOfBoundsException. */
  @Test
  void shorterThanALength() {
    for (int n = 0; n < 8; n++) {
      assertThat(decode(new byte[n])).isNull();
    }
  }

  static Gen<Map<String, String>> parameters() {
    Gen<String> name = Gen.strings(Gen.chars('a', 'z'), 1, 12);
    Gen<String> value = Gen.strings(Gen.chars().map(c -> c == '\0' ? 'a' : c), 0, 20);
    return Gen.maps(name, value, 5);
  }

  static Gen<byte[]> mutatedPackets() {
    Gen<byte[]> valid =
        Gen.oneOf(
            parameters().map(p -> startup(3 << 16, p)),
            parameters().map(p -> startup((3 << 16) | 2, p)),
            Gen.of(StartupPacket.SSL_REQUEST_CODE, StartupPacket.GSSENC_REQUEST_CODE).map(c -> Fuzz.concat(Fuzz.int32(8), Fuzz.int32(c))),
            Gen.ints(Integer.MIN_VALUE, Integer.MAX_VALUE)
                .map(k -> Fuzz.concat(Fuzz.int32(16), Fuzz.int32(StartupPacket.CANCEL_REQUEST_CODE), Fuzz.int32(k), Fuzz.int32(~k))));
    return Fuzz.mutated(valid);
  }

  static byte[] startup(int version, Map<String, String> params) {
    StringBuilder body = new StringBuilder();
    params.forEach((k, v) -> body.append(k).append('\0').append(v).append('\0'));
    body.append('\0');
    byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
    return Fuzz.concat(Fuzz.int32(b.length + 8), Fuzz.int32(version), b);
  }
}
