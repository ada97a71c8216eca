package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * A decoded Authentication request from a server: its code and whatever data comes with it (the md5
 * salt, the SASL mechanisms, or SASL data).
 */
public record Authentication(int code, byte[] data, List<String> mechanisms) {

  public static final int OK = BackendMessages.AUTH_OK;
  public static final int KERBEROS_V5 = 2;
  public static final int CLEARTEXT_PASSWORD = BackendMessages.AUTH_CLEARTEXT_PASSWORD;
  public static final int MD5_PASSWORD = BackendMessages.AUTH_MD5_PASSWORD;
  public static final int GSS = 7;
  public static final int SSPI = 9;
  public static final int SASL = BackendMessages.AUTH_SASL;
  public static final int SASL_CONTINUE = BackendMessages.AUTH_SASL_CONTINUE;
  public static final int SASL_FINAL = BackendMessages.AUTH_SASL_FINAL;

  public Authentication {
    mechanisms = List.copyOf(mechanisms);
  }

  /** Decodes a whole 'R' message (reader index at the type byte). */
  public static Authentication decode(ByteBuf message) {
    ByteBuf body = Codec.body(message);
    if (body.readableBytes() < 4) {
      throw new ProtocolException("authentication request too short");
    }
    int code = body.readInt();
    List<String> mechanisms = new ArrayList<>();
    if (code == SASL) {
      while (body.isReadable()) {
        String m = Codec.readCString(body);
        if (m.isEmpty()) {
          break;
        }
        mechanisms.add(m);
      }
      return new Authentication(code, new byte[0], mechanisms);
    }
    if (code == MD5_PASSWORD && body.readableBytes() != 4) {
      throw new ProtocolException("md5 authentication request without a 4-byte salt");
    }
    return new Authentication(code, ByteBufUtil.getBytes(body), mechanisms);
  }
}
