package dev.breakwater.server.admin;

import dev.breakwater.server.Breakwater;
import dev.breakwater.server.config.Settings;
import dev.breakwater.server.frontend.ClientConnection;
import dev.breakwater.server.pool.Pool;
import dev.breakwater.server.stats.Observer;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the views look at: the running Breakwater, its observer (averages, alerts, meters) and the
 * admin console's own clients. Shared by the console and the HTTP API.
 */
public record Observed(
    Breakwater breakwater, Observer observer, Supplier<List<ClientConnection>> consoleClients) {

  public Settings settings() {
    return breakwater.settings();
  }

  /** Every pool, ordered by database and user. */
  public List<Pool> pools() {
    List<Pool> list = new ArrayList<>(breakwater.pools().all());
    list.sort(
        Comparator.comparing((Pool p) -> p.key().database()).thenComparing(p -> p.key().user()));
    return list;
  }

  /** The pools of one database. */
  public List<Pool> poolsOf(String database) {
    List<Pool> list = new ArrayList<>();
    for (Pool p : pools()) {
      if (p.key().database().equals(database)) {
        list.add(p);
      }
    }
    return list;
  }

  /** The wall-clock time of a {@link System#nanoTime()} reading. */
  public static Instant wallClock(long nanos) {
    return Instant.now().minusNanos(System.nanoTime() - nanos);
  }
}
