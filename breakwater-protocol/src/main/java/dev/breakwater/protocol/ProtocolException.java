package dev.breakwater.protocol;

/** A peer broke the protocol: a message that cannot be decoded, or one that is out of place. */
public class ProtocolException extends RuntimeException {
  private final String sqlState;

  public ProtocolException(String message) {
    this(SqlState.PROTOCOL_VIOLATION, message);
  }

  public ProtocolException(String sqlState, String message) {
    super(message);
    this.sqlState = sqlState;
  }

  public String sqlState() {
    return sqlState;
  }
}
