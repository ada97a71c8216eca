package dev.breakwater.server.backend;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A server's parameters: as PostgreSQL reported them (or a SET of Breakwater's made them), and the
 * settings it holds beyond those; from them, what a client linked next must have set first. On the
 * server's loop only.
 */
final class ServerParameters {

  /** What PostgreSQL reported (ParameterStatus), or a SET of Breakwater's made them. */
  final Map<String, String> reported = new HashMap<>();
  /** Settings beyond the reported ones, made for a client (see {@link ParameterSync}). */
  final Map<String, String> extras = new HashMap<>();
  /**
   * A pool's welcome parameters that {@link #reported} and {@link #extras} were last found to agree
   * with, together with {@link #agreesWithOwn} (what that client held beyond them, null for
   * nothing): no setting to send to a client that holds the same. Null once a parameter changes.
   */
  private Map<String, String> agreesWith;
  private Map<String, String> agreesWithOwn;

  /** A parameter's value on this server, as PostgreSQL reported it (or as a SET made it). */
  void report(String name, String value) {
    if (!value.equals(reported.put(name, value))) {
      agreesWith = null;
    }
  }

  /**
   * The query that brings this server to {@code c}'s parameters, or null when it holds them. Read
   * once {@code c} is linked to this server, whose loop alone changes them from then on.
   */
  String syncFor(LinkedClient c) {
    Map<String, String> base = c.parameterBaseWithoutExtras();
    Map<String, String> theirs = c.ownParameters();
    if (base != null && base == agreesWith && Objects.equals(theirs, agreesWithOwn) && extras.isEmpty()) {
      // The common case: the client holds what the last client this server agreed with held
      // (the pool's parameters, and often the same application_name): nothing to compare.
      return null;
    }
    String sync = ParameterSync.plan(c.reportedParameters(), c.extraParameters(), reported, extras);
    if (sync == null && base != null && extras.isEmpty()) {
      agreesWith = base;
      agreesWithOwn = theirs;
    }
    return sync;
  }

  /** The settings were read back or changed behind the record: compare again next time. */
  void changed() {
    agreesWith = null;
  }

  /** RESET ALL or DISCARD ALL ran: no setting beyond the reported ones is left. */
  void settingsReset() {
    extras.clear();
    agreesWith = null;
  }
}
