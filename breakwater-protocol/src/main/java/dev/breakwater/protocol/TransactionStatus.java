package dev.breakwater.protocol;

import io.netty.buffer.ByteBuf;

/** The status byte of ReadyForQuery. */
public enum TransactionStatus {
  /** 'I': not in a transaction block. */
  IDLE('I'),
  /** 'T': in a transaction block. */
  IN_TRANSACTION('T'),
  /** 'E': in a failed transaction block; queries are rejected until it ends. */
  FAILED('E');

  private final byte code;

  TransactionStatus(char code) {
    this.code = (byte) code;
  }

  public byte code() {
    return code;
  }

  /**
   * The status of a whole ReadyForQuery message (type and length included).
   *
   * @throws ProtocolException when its body is not the one status byte
   */
  public static TransactionStatus ofReadyForQuery(ByteBuf message) {
    if (message.readableBytes() != 6) {
      throw new ProtocolException("ReadyForQuery of " + message.readableBytes() + " bytes, not 6");
    }
    return of(message.getByte(message.readerIndex() + 5));
  }

  public static TransactionStatus of(byte code) {
    switch (code) {
      case 'I':
        return IDLE;
      case 'T':
        return IN_TRANSACTION;
      case 'E':
        return FAILED;
      default:
        throw new ProtocolException("invalid transaction status " + MessageType.describe(code));
    }
  }
}
