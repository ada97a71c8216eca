package dev.breakwater.protocol;

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
