package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;
import java.util.List;

/** Writers for the messages Breakwater sends to clients as if it were the server. */
public final class BackendMessages {

  public static final int AUTH_OK = 0;
  public static final int AUTH_CLEARTEXT_PASSWORD = 3;
  public static final int AUTH_MD5_PASSWORD = 5;
  public static final int AUTH_SASL = 10;
  public static final int AUTH_SASL_CONTINUE = 11;
  public static final int AUTH_SASL_FINAL = 12;

  public static void authenticationOk(ByteBuf out) {
    authentication(out, AUTH_OK);
  }

  public static void authenticationCleartextPassword(ByteBuf out) {
    authentication(out, AUTH_CLEARTEXT_PASSWORD);
  }

  public static void authenticationMd5Password(ByteBuf out, byte[] salt) {
    int at = Codec.beginMessage(out, MessageType.AUTHENTICATION);
    out.writeInt(AUTH_MD5_PASSWORD);
    out.writeBytes(salt);
    Codec.endMessage(out, at);
  }

  public static void authenticationSasl(ByteBuf out, List<String> mechanisms) {
    int at = Codec.beginMessage(out, MessageType.AUTHENTICATION);
    out.writeInt(AUTH_SASL);
    for (String m : mechanisms) {
      Codec.writeCString(out, m);
    }
    out.writeByte(0);
    Codec.endMessage(out, at);
  }

  public static void authenticationSaslContinue(ByteBuf out, byte[] data) {
    saslData(out, AUTH_SASL_CONTINUE, data);
  }

  public static void authenticationSaslFinal(ByteBuf out, byte[] data) {
    saslData(out, AUTH_SASL_FINAL, data);
  }

  public static void parameterStatus(ByteBuf out, String name, String value) {
    int at = Codec.beginMessage(out, MessageType.PARAMETER_STATUS);
    Codec.writeCString(out, name);
    Codec.writeCString(out, value);
    Codec.endMessage(out, at);
  }

  public static void backendKeyData(ByteBuf out, int processId, int secretKey) {
    int at = Codec.beginMessage(out, MessageType.BACKEND_KEY_DATA);
    out.writeInt(processId);
    out.writeInt(secretKey);
    Codec.endMessage(out, at);
  }

  public static void readyForQuery(ByteBuf out, TransactionStatus status) {
    int at = Codec.beginMessage(out, MessageType.READY_FOR_QUERY);
    out.writeByte(status.code());
    Codec.endMessage(out, at);
  }

  public static void error(ByteBuf out, String severity, String sqlState, String message) {
    ErrorFields.of(severity, sqlState, message).encode(out, MessageType.ERROR_RESPONSE);
  }

  public static void notice(ByteBuf out, String severity, String sqlState, String message) {
    ErrorFields.of(severity, sqlState, message).encode(out, MessageType.NOTICE_RESPONSE);
  }

  /** NegotiateProtocolVersion: the newest minor version we speak, and the options we ignored. */
  public static void negotiateProtocolVersion(
      ByteBuf out, int newestMinor, List<String> unrecognizedOptions) {
    int at = Codec.beginMessage(out, MessageType.NEGOTIATE_PROTOCOL_VERSION);
    out.writeInt(newestMinor);
    out.writeInt(unrecognizedOptions.size());
    for (String o : unrecognizedOptions) {
      Codec.writeCString(out, o);
    }
    Codec.endMessage(out, at);
  }

  public static void commandComplete(ByteBuf out, String tag) {
    int at = Codec.beginMessage(out, MessageType.COMMAND_COMPLETE);
    Codec.writeCString(out, tag);
    Codec.endMessage(out, at);
  }

  public static void emptyQueryResponse(ByteBuf out) {
    int at = Codec.beginMessage(out, MessageType.EMPTY_QUERY_RESPONSE);
    Codec.endMessage(out, at);
  }

  /**
   * RowDescription for a result in text format: one field per column with its name, type OID and
   * type size (-1 for variable-length types), no table, typmod -1.
   */
  public static void rowDescription(
      ByteBuf out, List<String> names, List<Integer> typeOids, List<Integer> typeSizes) {
    if (names.size() != typeOids.size() || names.size() != typeSizes.size()) {
      throw new IllegalArgumentException("one type OID and size per column");
    }
    int at = Codec.beginMessage(out, MessageType.ROW_DESCRIPTION);
    out.writeShort(names.size());
    for (int i = 0; i < names.size(); i++) {
      Codec.writeCString(out, names.get(i));
      out.writeInt(0); // table OID
      out.writeShort(0); // column number
      out.writeInt(typeOids.get(i));
      out.writeShort(typeSizes.get(i));
      out.writeInt(-1); // typmod
      out.writeShort(0); // text format
    }
    Codec.endMessage(out, at);
  }

  /** DataRow in text format; a null value is SQL NULL. */
  public static void dataRow(ByteBuf out, List<String> values) {
    int at = Codec.beginMessage(out, MessageType.DATA_ROW);
    out.writeShort(values.size());
    for (String v : values) {
      if (v == null) {
        out.writeInt(-1);
      } else {
        int lengthAt = out.writerIndex();
        out.writeInt(0);
        int written = out.writeCharSequence(v, java.nio.charset.StandardCharsets.UTF_8);
        out.setInt(lengthAt, written);
      }
    }
    Codec.endMessage(out, at);
  }

  /** NoticeResponse with any fields, e.g. a DETAIL (SHOW HELP). */
  public static void notice(ByteBuf out, ErrorFields fields) {
    fields.encode(out, MessageType.NOTICE_RESPONSE);
  }

  private static void authentication(ByteBuf out, int code) {
    int at = Codec.beginMessage(out, MessageType.AUTHENTICATION);
    out.writeInt(code);
    Codec.endMessage(out, at);
  }

  private static void saslData(ByteBuf out, int code, byte[] data) {
    int at = Codec.beginMessage(out, MessageType.AUTHENTICATION);
    out.writeInt(code);
    out.writeBytes(data);
    Codec.endMessage(out, at);
  }

  private BackendMessages() {}
}
