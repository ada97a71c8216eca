package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writers for the messages Breakwater sends to servers as if it were the client. */
public final class FrontendMessages {

  public static void startupMessage(ByteBuf out, Map<String, String> parameters) {
    int at = Codec.beginUntyped(out);
    out.writeInt(StartupPacket.PROTOCOL_3_0);
    for (Map.Entry<String, String> e : parameters.entrySet()) {
      Codec.writeCString(out, e.getKey());
      Codec.writeCString(out, e.getValue());
    }
    out.writeByte(0);
    Codec.endMessage(out, at);
  }

  public static void sslRequest(ByteBuf out) {
    out.writeInt(8);
    out.writeInt(StartupPacket.SSL_REQUEST_CODE);
  }

  public static void cancelRequest(ByteBuf out, int processId, int secretKey) {
    out.writeInt(16);
    out.writeInt(StartupPacket.CANCEL_REQUEST_CODE);
    out.writeInt(processId);
    out.writeInt(secretKey);
  }

  /** PasswordMessage carrying a cleartext or md5-hashed password. */
  public static void password(ByteBuf out, String password) {
    int at = Codec.beginMessage(out, MessageType.PASSWORD);
    Codec.writeCString(out, password);
    Codec.endMessage(out, at);
  }

  public static void saslInitialResponse(ByteBuf out, String mechanism, byte[] data) {
    int at = Codec.beginMessage(out, MessageType.PASSWORD);
    Codec.writeCString(out, mechanism);
    out.writeInt(data.length);
    out.writeBytes(data);
    Codec.endMessage(out, at);
  }

  public static void saslResponse(ByteBuf out, byte[] data) {
    int at = Codec.beginMessage(out, MessageType.PASSWORD);
    out.writeBytes(data);
    Codec.endMessage(out, at);
  }

  /** A simple-protocol Query. */
  public static void query(ByteBuf out, String sql) {
    int at = Codec.beginMessage(out, MessageType.QUERY);
    Codec.writeCString(out, sql);
    Codec.endMessage(out, at);
  }

  /** Parse of an unnamed or named statement, parameter types left to the server. */
  public static void parse(ByteBuf out, String name, String sql) {
    int at = Codec.beginMessage(out, MessageType.PARSE);
    Codec.writeCString(out, name);
    Codec.writeCString(out, sql);
    out.writeShort(0);
    Codec.endMessage(out, at);
  }

  /** Bind with parameters in text format (null for SQL NULL), results in text format. */
  public static void bind(ByteBuf out, String portal, String statement, java.util.List<String> params) {
    int at = Codec.beginMessage(out, MessageType.BIND);
    Codec.writeCString(out, portal);
    Codec.writeCString(out, statement);
    out.writeShort(0);
    out.writeShort(params.size());
    for (String p : params) {
      if (p == null) {
        out.writeInt(-1);
      } else {
        byte[] b = p.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.writeBytes(b);
      }
    }
    out.writeShort(0);
    Codec.endMessage(out, at);
  }

  public static void execute(ByteBuf out, String portal, int maxRows) {
    int at = Codec.beginMessage(out, MessageType.EXECUTE);
    Codec.writeCString(out, portal);
    out.writeInt(maxRows);
    Codec.endMessage(out, at);
  }

  public static void sync(ByteBuf out) {
    out.writeByte(MessageType.SYNC);
    out.writeInt(4);
  }

  public static void terminate(ByteBuf out) {
    out.writeByte(MessageType.TERMINATE);
    out.writeInt(4);
  }

  /**
   * Quotes a string as an SQL literal that means the same whatever standard_conforming_strings is:
   * the E'' form when it holds a backslash.
   */
  public static String quoteLiteral(String value) {
    String quoted = value.replace("'", "''");
    if (quoted.indexOf('\\') >= 0) {
      return "E'" + quoted.replace("\\", "\\\\") + "'";
    }
    return "'" + quoted + "'";
  }

  /** Quotes an SQL identifier. */
  public static String quoteIdentifier(String name) {
    return "\"" + name.replace("\"", "\"\"") + "\"";
  }


  private FrontendMessages() {}
}
