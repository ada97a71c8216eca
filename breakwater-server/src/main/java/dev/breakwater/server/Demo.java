package dev.breakwater.server;

import java.util.Optional;
import java.util.ServiceLoader;

/**
 * The demo that runs when no configuration is given: an embedded PostgreSQL with Breakwater in
 * front of it. It lives in breakwater-demo (the PostgreSQL binaries weigh 15 MB), which the
 * source tree's {@code bin/breakwater} puts on the class path and the release archive leaves out;
 * {@link #starter} finds it through {@link ServiceLoader}.
 */
public interface Demo extends AutoCloseable {

  /** The pooler the demo started. */
  Breakwater breakwater();

  /** What to print once it runs: how to connect. */
  String banner();

  /** Starts the demo; registered in {@code META-INF/services/dev.breakwater.server.Demo$Starter}. */
  interface Starter {
    Demo start(int port) throws Exception;
  }

  /** The demo's starter, when breakwater-demo is on the class path. */
  static Optional<Starter> starter() {
    return ServiceLoader.load(Starter.class).findFirst();
  }
}
