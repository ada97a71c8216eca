package dev.breakwater.server.frontend;

import dev.breakwater.protocol.ProtocolException;
import dev.breakwater.protocol.SqlState;
import dev.breakwater.protocol.StartupPacket.StartupMessage;
import dev.breakwater.server.backend.ReplicationMode;
import dev.breakwater.server.backend.ParameterSync;
import dev.breakwater.server.config.Settings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A StartupMessage's parameters, sorted at login: the settings PostgreSQL reports (kept to be
 * told to the client and set on its servers), other settings (from the packet or its {@code
 * options -c}), ignored ones dropped, protocol options to refuse with NegotiateProtocolVersion,
 * and for a replication client the parameters its own server starts with, as they came.
 *
 * @param replication the replication parameter: NONE for an ordinary client
 * @param replicationParameters a replication client's parameters for its server (empty otherwise)
 * @param reported settings PostgreSQL reports, by its spelling
 * @param extras other settings, by lower-case name
 * @param unrecognized the {@code _pq_.} protocol options, which Breakwater knows none of
 */
record StartupParameters(
    ReplicationMode replication,
    Map<String, String> replicationParameters,
    Map<String, String> reported,
    Map<String, String> extras,
    List<String> unrecognized) {

  /**
   * Sorts {@code startup}'s parameters as {@code settings} say (ignore_startup_parameters).
   *
   * @throws ProtocolException for a replication value or an options string the client is refused for
   */
  static StartupParameters sort(StartupMessage startup, Settings settings, SharedStrings shared) {
    Map<String, String> extras = new HashMap<>();
    Map<String, String> reported = new HashMap<>();
    List<String> unrecognized = new ArrayList<>();
    ReplicationMode replication = ReplicationMode.NONE;
    Map<String, String> replicationParameters = Map.of();
    String replicationValue = startup.parameters().get("replication");
    if (replicationValue != null) {
      ReplicationMode mode = ReplicationMode.parse(replicationValue);
      if (mode == null) {
        // PostgreSQL's own refusal of the value.
        throw new ProtocolException(
            SqlState.INVALID_PARAMETER_VALUE,
            "invalid value for parameter \"replication\": \"" + replicationValue + "\"");
      }
      replication = mode;
      if (mode != ReplicationMode.NONE) {
        replicationParameters = new LinkedHashMap<>();
      }
    }
    Set<String> ignored = settings.general().ignoreStartupParameters();
    for (Map.Entry<String, String> e : startup.parameters().entrySet()) {
      String name = e.getKey();
      String lower = name.toLowerCase(Locale.ROOT);
      if (lower.equals("user") || lower.equals("database")) {
        continue;
      }
      if (lower.startsWith("_pq_.")) {
        unrecognized.add(name);
        continue;
      }
      if (name.equals("replication")) {
        continue;
      }
      if (replication != ReplicationMode.NONE) {
        // The client's server is its own for its whole life: its settings go to that server's
        // startup packet as they came (options whole, as PgBouncer passes them, so that any
        // setting works, extra_float_digits from CREATE SUBSCRIPTION too), never through SET,
        // which a physical walsender refuses.
        if (lower.equals("options") || !ignored.contains(lower)) {
          replicationParameters.put(name, e.getValue());
        }
        continue;
      }
      if (ignored.contains(lower) && !lower.equals("options")) {
        continue;
      }
      if (lower.equals("options")) {
        try {
          for (Map.Entry<String, String> o : StartupOptions.parse(e.getValue()).entrySet()) {
            // ignore_startup_parameters applies to -c name=value as well (PgBouncer's rule).
            if (!ignored.contains(o.getKey().toLowerCase(Locale.ROOT))) {
              extras.put(o.getKey(), o.getValue());
            }
          }
        } catch (IllegalArgumentException ex) {
          if (ignored.contains("options")) {
            // PgBouncer's rule: options in ignore_startup_parameters means what cannot be
            // applied is ignored; the settings in it are still applied.
            continue;
          }
          throw new ProtocolException(SqlState.PROTOCOL_VIOLATION, ex.getMessage());
        }
        continue;
      }
      // Values such as application_name are the same for many clients: one copy of each.
      String value = shared.share(e.getValue());
      String tracked = ParameterSync.tracked(name);
      if (tracked != null) {
        reported.put(tracked, value);
      } else {
        extras.put(shared.share(lower), value);
      }
    }
    // Settings given both ways: the tracked spelling wins.
    for (String t : ParameterSync.TRACKED) {
      String v = extras.remove(t.toLowerCase(Locale.ROOT));
      if (v != null) {
        reported.putIfAbsent(t, v);
      }
    }
    return new StartupParameters(replication, replicationParameters, reported, extras, unrecognized);
  }
}
