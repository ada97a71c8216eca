package dev.breakwater.client;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The seed documents' advice on endpoints, made executable: a serverless profile (preview, staging,
 * production) should reach the database through a pooler, not directly, because every instance
 * holds a pool of its own and together they exhaust the database's connections.
 *
 * <p>Two signs of a direct endpoint are recognised:
 *
 * <ul>
 *   <li>a Neon host ({@code *.neon.tech}) whose first label lacks {@code -pooler}: Neon's pooled
 *       endpoint is {@code ep-xxx-pooler.region.aws.neon.tech}. A {@code pooling=true} query
 *       parameter does not change the endpoint; the host name does.
 *   <li>port 5432 on another host, PostgreSQL's own port, where a pooler (Breakwater, PgBouncer)
 *       usually listens on 6432. Hosts that name a pooler ({@code pooler} in the name, or an RDS
 *       Proxy's {@code .proxy-}) are left alone.
 * </ul>
 */
public final class EndpointAdvice {

  /** Warnings for this profile and address; empty when there is nothing to say. */
  public static List<String> check(Profile profile, DatabaseUrl url) {
    List<String> advice = new ArrayList<>();
    if (!profile.serverless()) {
      return advice;
    }
    for (DatabaseUrl.HostPort hp : url.hosts()) {
      String host = hp.host().toLowerCase(Locale.ROOT);
      int dot = host.indexOf('.');
      String firstLabel = dot < 0 ? host : host.substring(0, dot);
      if (host.endsWith(".neon.tech")) {
        if (!firstLabel.endsWith("-pooler")) {
          advice.add(
              "profile "
                  + profile.envName()
                  + " connects to Neon's direct endpoint "
                  + hp.host()
                  + "; serverless functions should use the pooled endpoint "
                  + firstLabel
                  + "-pooler"
                  + host.substring(firstLabel.length())
                  + " (the host name selects the pooler; pooling=true does not)");
        }
      } else if (hp.port() == DatabaseUrl.DEFAULT_PORT
          && !host.contains("pooler")
          && !host.contains(".proxy-")) {
        advice.add(
            "profile "
                + profile.envName()
                + " connects to "
                + hp
                + ", PostgreSQL's own port; serverless functions should go through a"
                + " transaction-mode pooler (Breakwater or PgBouncer, usually port 6432)");
      }
    }
    return advice;
  }

  private EndpointAdvice() {}
}
