package dev.breakwater.server.admin;

/** A console command refused or failed: answered with an ErrorResponse carrying this SQLSTATE. */
final class AdminException extends Exception {

  private static final long serialVersionUID = 1L;

  private final String sqlState;

  AdminException(String sqlState, String message) {
    super(message);
    this.sqlState = sqlState;
  }

  String sqlState() {
    return sqlState;
  }
}
