package dev.breakwater.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Assertions on the errors pgjdbc reports from the pooler or the server. */
final class SqlErrors {

  /** The server error that {@code call} fails with; fails the test if it is not one. */
  static ServerErrorMessage serverError(ThrowingCallable call) {
    PSQLException e = catchThrowableOfType(PSQLException.class, call);
    assertThat((Object) e).as("expected an error from the server").isNotNull();
    assertThat(e.getServerErrorMessage())
        .as("expected an ErrorResponse, got: %s (SQLSTATE %s)", e.getMessage(), e.getSQLState())
        .isNotNull();
    return e.getServerErrorMessage();
  }

  /** {@code call} fails with an ErrorResponse of exactly this SQLSTATE and message. */
  static ServerErrorMessage assertServerError(ThrowingCallable call, String sqlState, String message) {
    ServerErrorMessage m = serverError(call);
    assertThat(m.getSQLState()).as("SQLSTATE of %s", m).isEqualTo(sqlState);
    if (message != null) {
      assertThat(m.getMessage()).as("message").isEqualTo(message);
    }
    return m;
  }

  private SqlErrors() {}
}
