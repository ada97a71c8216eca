package dev.breakwater.protocol;

/** The SQLSTATE codes that Breakwater itself sends, as PostgreSQL would send them. */
public final class SqlState {
  public static final String SUCCESSFUL_COMPLETION = "00000";
  public static final String CONNECTION_EXCEPTION = "08000";
  public static final String CONNECTION_FAILURE = "08006";
  public static final String SQLCLIENT_UNABLE_TO_ESTABLISH_SQLCONNECTION = "08001";
  public static final String PROTOCOL_VIOLATION = "08P01";
  public static final String FEATURE_NOT_SUPPORTED = "0A000";
  public static final String INVALID_AUTHORIZATION_SPECIFICATION = "28000";
  public static final String INVALID_PASSWORD = "28P01";
  public static final String INVALID_CATALOG_NAME = "3D000";
  public static final String ACTIVE_SQL_TRANSACTION = "25001";
  public static final String IDLE_IN_TRANSACTION_SESSION_TIMEOUT = "25P03";
  public static final String TRANSACTION_TIMEOUT = "25P04";
  public static final String IDLE_SESSION_TIMEOUT = "57P05";
  public static final String TOO_MANY_CONNECTIONS = "53300";
  public static final String QUERY_CANCELED = "57014";
  public static final String ADMIN_SHUTDOWN = "57P01";
  public static final String CANNOT_CONNECT_NOW = "57P03";
  public static final String PROGRAM_LIMIT_EXCEEDED = "54000";
  public static final String INVALID_PARAMETER_VALUE = "22023";
  public static final String SYNTAX_ERROR = "42601";
  public static final String DUPLICATE_PREPARED_STATEMENT = "42P05";
  public static final String INSUFFICIENT_PRIVILEGE = "42501";
  public static final String INTERNAL_ERROR = "XX000";

  private SqlState() {}
}
