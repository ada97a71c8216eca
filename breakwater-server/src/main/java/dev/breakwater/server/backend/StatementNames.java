package dev.breakwater.server.backend;

import java.util.Map;

/**
 * A client as the statement mapping sees it: its named prepared statements, by its own names,
 * each mapped to the shared entry servers know it by. Touched only on the linked server's loop.
 */
public interface StatementNames {
  Map<String, PreparedStatements.Statement> statements();
}
