package dev.breakwater.server.pool;

import dev.breakwater.server.LogText;

/** A pool is one (database, user) pair: the database as clients name it, the user it logs in as. */
public record PoolKey(String database, String user) {
  /** For log lines: a name a client chose (through the {@code *} fallback) is escaped. */
  @Override
  public String toString() {
    return LogText.escape(database) + "/" + LogText.escape(user);
  }
}
