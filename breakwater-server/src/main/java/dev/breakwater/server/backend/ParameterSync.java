package dev.breakwater.server.backend;

import dev.breakwater.protocol.FrontendMessages;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Brings a server's session settings to what its next client expects, before the client's own
 * messages: the parameters PostgreSQL reports (client_encoding, DateStyle, TimeZone,
 * standard_conforming_strings, application_name, IntervalStyle) and any other setting the client
 * asked for at startup. One query, sent ahead of the client's bytes in the same write.
 */
public final class ParameterSync {

  /** Reported parameters kept per client, in PostgreSQL's spelling. */
  public static final List<String> TRACKED =
      List.of(
          "client_encoding",
          "DateStyle",
          "TimeZone",
          "standard_conforming_strings",
          "application_name",
          "IntervalStyle");

  /** The canonical spelling of a tracked parameter, or null when it is not tracked. */
  public static String tracked(String name) {
    for (String t : TRACKED) {
      if (t.equalsIgnoreCase(name)) {
        return t;
      }
    }
    return null;
  }

  /**
   * The SQL that brings the server to the client's settings, or null when they already agree.
   * Updates {@code serverExtras} to what the SQL will leave on the server; reported parameters are
   * updated by the ParameterStatus messages the server sends back.
   */
  public static String plan(
      Map<String, String> clientReported,
      Map<String, String> clientExtras,
      Map<String, String> serverReported,
      Map<String, String> serverExtras) {
    StringBuilder sets = null;
    for (String name : TRACKED) {
      String want = clientReported.get(name);
      if (want != null && !want.equals(serverReported.get(name))) {
        sets = appendSet(sets, name, want);
      }
    }
    for (Map.Entry<String, String> e : clientExtras.entrySet()) {
      if (!e.getValue().equals(serverExtras.get(e.getKey()))) {
        sets = appendSet(sets, e.getKey(), e.getValue());
        serverExtras.put(e.getKey(), e.getValue());
      }
    }
    StringBuilder resets = null;
    for (Iterator<Map.Entry<String, String>> it = serverExtras.entrySet().iterator(); it.hasNext(); ) {
      String name = it.next().getKey();
      if (!clientExtras.containsKey(name)) {
        it.remove();
        resets = resets == null ? new StringBuilder() : resets;
        resets.append("RESET ").append(FrontendMessages.quoteIdentifier(name)).append(';');
      }
    }
    if (sets == null && resets == null) {
      return null;
    }
    StringBuilder sql = new StringBuilder();
    if (sets != null) {
      sql.append(sets).append(';');
    }
    if (resets != null) {
      sql.append(resets);
    }
    return sql.toString();
  }

  private static StringBuilder appendSet(StringBuilder sets, String name, String value) {
    if (sets == null) {
      sets = new StringBuilder("SELECT ");
    } else {
      sets.append(", ");
    }
    return sets.append("pg_catalog.set_config(")
        .append(FrontendMessages.quoteLiteral(name))
        .append(", ")
        .append(FrontendMessages.quoteLiteral(value))
        .append(", false)");
  }

  private ParameterSync() {}
}
