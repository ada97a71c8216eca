package dev.breakwater.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removes what tests wrote outside JUnit's {@code @TempDir}: best-effort, never failing a test. */
public final class TempFiles {

  /** Deletes a file, or a directory and everything in it, deepest first; errors are ignored. */
  public static void delete(Path path) {
    if (path == null) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // already gone, or not ours to remove: cleanup must not hide what the test found
    }
  }

  private TempFiles() {}
}
