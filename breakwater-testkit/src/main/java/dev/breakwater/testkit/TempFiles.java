package dev.breakwater.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removes what tests wrote outside JUnit's {@code @TempDir}: best-effort, never failing a test. */
public final class TempFiles {

  /**
   * Deletes a file, or a directory and everything in it, deepest first; errors are ignored. A
   * directory something still writes into (a PostgreSQL data directory while its last processes
   * exit) is walked again, for up to two seconds.
   */
  public static void delete(Path path) {
    if (path == null) {
      return;
    }
    for (int attempt = 0; attempt < 10 && Files.exists(path, LinkOption.NOFOLLOW_LINKS); attempt++) {
      if (attempt > 0) {
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
      try (Stream<Path> walk = Files.walk(path)) {
        walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        // already gone, or not ours to remove: cleanup must not hide what the test found
      }
    }
  }

  private TempFiles() {}
}
