package dev.breakwater.server.frontend;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Client connections per database and per user, for max_db_client_connections and
 * max_user_client_connections and for SHOW DATABASES and SHOW USERS. A client counts from the moment
 * its login names the database and user (before it proves who it is, as in PgBouncer) until it
 * closes; a name whose count falls to zero is forgotten, so names tried and refused leave nothing.
 */
public final class ClientCounts {

  private final ConcurrentHashMap<String, Integer> databases = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Integer> users = new ConcurrentHashMap<>();

  /** Counts one more client of {@code database}; returns the count with it. */
  int addDatabase(String database) {
    return databases.merge(database, 1, Integer::sum);
  }

  /** Counts one more client of {@code user}; returns the count with it. */
  int addUser(String user) {
    return users.merge(user, 1, Integer::sum);
  }

  /** A client counted in {@code database} and {@code user} (either null: not counted in one) left. */
  void remove(String database, String user) {
    if (database != null) {
      databases.computeIfPresent(database, (k, n) -> n > 1 ? n - 1 : null);
    }
    if (user != null) {
      users.computeIfPresent(user, (k, n) -> n > 1 ? n - 1 : null);
    }
  }

  /** The clients of a database (the admin console's {@code pgbouncer} included), logging in or not. */
  public int ofDatabase(String database) {
    return databases.getOrDefault(database, 0);
  }

  /** The users with clients now. */
  public java.util.Set<String> users() {
    return java.util.Set.copyOf(users.keySet());
  }

  /** The clients logged in, or logging in, as a user. */
  public int ofUser(String user) {
    return users.getOrDefault(user, 0);
  }
}
