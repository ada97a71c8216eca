package dev.breakwater.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a class in a fresh JVM on the test classpath and reports whether it exited on its own. */
final class ChildJvm {

  record Result(boolean exited, int status, Duration took, String output) {}

  static String testClasspath() {
    return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
  }

  static Result run(String classpath, String mainClass, Map<String, String> env, Duration limit, String... args)
      throws InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(classpath);
    command.add(mainClass);
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.equals("DATABASE_URL") || k.equals("NEON_DATABASE_URL")
        || k.equals("APP_ENV") || k.equals("NODE_ENV") || k.startsWith("DATABASE_"));
    pb.environment().putAll(env);
    long start = System.nanoTime();
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Thread pump =
        new Thread(
            () -> {
              try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
              } catch (IOException ignored) {
                // process gone
              }
            });
    pump.setDaemon(true);
    pump.start();
    boolean exited = p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (!exited) {
      p.destroyForcibly();
      p.waitFor(10, TimeUnit.SECONDS);
    }
    pump.join(2000);
    String output;
    synchronized (out) {
      output = out.toString(StandardCharsets.UTF_8);
    }
    return new Result(exited, exited ? p.exitValue() : -1, took, output);
  }

  private ChildJvm() {}
}
