package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The untyped first packet of a connection: a StartupMessage, an SSLRequest, a GSSENCRequest or a
 * CancelRequest. Decoded from its body, the 4-byte code that follows the length.
 */
public sealed interface StartupPacket {

  int SSL_REQUEST_CODE = 80877103;
  int GSSENC_REQUEST_CODE = 80877104;
  int CANCEL_REQUEST_CODE = 80877102;
  int PROTOCOL_3_0 = 3 << 16;
  /** PostgreSQL refuses startup packets longer than this, and so do we. */
  int MAX_LENGTH = 10000;

  /** A StartupMessage: the requested protocol version and the parameters (user, database, ...). */
  record StartupMessage(int majorVersion, int minorVersion, Map<String, String> parameters)
      implements StartupPacket {
    public StartupMessage {
      parameters = Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    public String user() {
      return parameters.getOrDefault("user", "");
    }

    /** The database, which defaults to the user name as in PostgreSQL. */
    public String database() {
      String db = parameters.get("database");
      return db == null || db.isEmpty() ? user() : db;
    }
  }

  /** SSLRequest: the client asks for TLS. */
  record SslRequest() implements StartupPacket {}

  /** GSSENCRequest: the client asks for GSSAPI encryption. */
  record GssEncRequest() implements StartupPacket {}

  /** CancelRequest: cancel the query running on the connection with this key. */
  record CancelRequest(int processId, int secretKey) implements StartupPacket {}

  /**
   * Decodes a whole packet, length included (reader index at the length).
   *
   * @throws ProtocolException when the packet is malformed or of an unsupported version
   */
  static StartupPacket decode(ByteBuf packet) {
    if (packet.readableBytes() < 8) {
      throw new ProtocolException("invalid startup packet length " + packet.readableBytes());
    }
    int length = packet.readInt();
    if (length < 8 || length > MAX_LENGTH || length != packet.readableBytes() + 4) {
      throw new ProtocolException("invalid startup packet length " + length);
    }
    int code = packet.readInt();
    switch (code) {
      case SSL_REQUEST_CODE:
        return new SslRequest();
      case GSSENC_REQUEST_CODE:
        return new GssEncRequest();
      case CANCEL_REQUEST_CODE:
        if (packet.readableBytes() < 8) {
          throw new ProtocolException("invalid cancel request length " + length);
        }
        return new CancelRequest(packet.readInt(), packet.readInt());
      default:
        break;
    }
    int major = code >>> 16;
    int minor = code & 0xffff;
    if (major != 3) {
      throw new ProtocolException(
          SqlState.FEATURE_NOT_SUPPORTED,
          "unsupported frontend protocol " + major + "." + minor + ": server supports 3.0 to 3.2");
    }
    Map<String, String> params = new LinkedHashMap<>();
    while (packet.isReadable()) {
      String name = Codec.readCString(packet);
      if (name.isEmpty()) {
        break;
      }
      if (!packet.isReadable()) {
        throw new ProtocolException("startup parameter \"" + name + "\" has no value");
      }
      params.put(name, Codec.readCString(packet));
    }
    return new StartupMessage(major, minor, params);
  }
}
