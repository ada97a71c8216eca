package dev.breakwater.server.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * StartupPacket.decode, the first bytes of every connection (StartupMessage, SSLRequest,
 * GSSENCRequest, CancelRequest): it returns a packet or throws ProtocolException, nothing else.
 */
@AddLifecycleHook(Fuzz.class)
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

  @Property(tries = 3000)
  void arbitraryBytes(@ForAll("anyBytes") byte[] bytes) {
    decode(bytes);
  }

  /** Right length, any body: past the length check. */
  @Property(tries = 3000)
  void framedArbitraryBody(@ForAll("anyBytes") byte[] body) {
    decode(Fuzz.concat(Fuzz.int32(body.length + 4), body));
  }

  @Property(tries = 5000)
  void mutatedValidPackets(@ForAll("mutatedPackets") byte[] bytes) {
    decode(bytes);
  }

  /** A well-formed StartupMessage decodes to its parameters. */
  @Property(tries = 1000)
  void validStartupMessagesRoundTrip(@ForAll("parameters") Map<String, String> params) {
    StartupPacket p = decode(startup(3 << 16, params));
    assertThat(p).isInstanceOf(StartupPacket.StartupMessage.class);
    assertThat(((StartupPacket.StartupMessage) p).parameters()).isEqualTo(params);
  }

  /** Regression: fewer than four bytes (no room for the length) was an IndexOutOfBoundsException. */
  @Example
  void shorterThanALength() {
    for (int n = 0; n < 8; n++) {
      assertThat(decode(new byte[n])).isNull();
    }
  }

  @Provide
  Arbitrary<byte[]> anyBytes() {
    return Fuzz.bytes(64);
  }

  @Provide
  Arbitrary<Map<String, String>> parameters() {
    Arbitrary<String> name = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(12);
    Arbitrary<String> value = Arbitraries.strings().excludeChars('\0').ofMaxLength(20);
    return Arbitraries.maps(name, value).ofMaxSize(5).map(LinkedHashMap::new);
  }

  @Provide
  Arbitrary<byte[]> mutatedPackets() {
    Arbitrary<byte[]> valid =
        Arbitraries.oneOf(
            parameters().map(p -> startup(3 << 16, p)),
            parameters().map(p -> startup((3 << 16) | 2, p)),
            Arbitraries.of(StartupPacket.SSL_REQUEST_CODE, StartupPacket.GSSENC_REQUEST_CODE).map(c -> Fuzz.concat(Fuzz.int32(8), Fuzz.int32(c))),
            Arbitraries.integers().map(k -> Fuzz.concat(Fuzz.int32(16), Fuzz.int32(StartupPacket.CANCEL_REQUEST_CODE), Fuzz.int32(k), Fuzz.int32(~k))));
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
