package dev.breakwater.server.pool;

/** A pool is one (database, user) pair: the database as clients name it, the user it logs in as. */
public record PoolKey(String database, String user) {
  @Override
  public String toString() {
    return database + "/" + user;
  }
}
