package dev.breakwater.server.admin;

/**
 * The column types of the admin console's results, with the type OIDs PgBouncer announces for
 * them. Every value travels as text; the type tells a client (and the JSON API) how to read it.
 */
public enum ColumnType {
  /** {@code text} (OID 25). */
  TEXT(25, -1),
  /** {@code int4} (OID 23). */
  INT4(23, 4),
  /** {@code int8} (OID 20). */
  INT8(20, 8),
  /** {@code numeric} (OID 1700): PgBouncer's type for every statistics counter. */
  NUMERIC(1700, -1),
  /** A time stamp sent as {@code text}, as PgBouncer does: {@code 2025-01-31 12:00:00 UTC}. */
  TIME(25, -1);

  private final int oid;
  private final int size;

  ColumnType(int oid, int size) {
    this.oid = oid;
    this.size = size;
  }

  public int oid() {
    return oid;
  }

  /** The type size in RowDescription: bytes, or -1 for variable-length types. */
  public int size() {
    return size;
  }

  /** Whether values are numbers (JSON numbers in the HTTP API). */
  public boolean numeric() {
    return this == INT4 || this == INT8 || this == NUMERIC;
  }
}
