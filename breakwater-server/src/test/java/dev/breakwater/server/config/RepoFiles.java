package dev.breakwater.server.config;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds files of the repository from wherever the tests run (module or root directory). */
final class RepoFiles {
  private RepoFiles() {}

  static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.isDirectory(dir.resolve("examples")) && Files.exists(dir.resolve("pom.xml"))
          && Files.isDirectory(dir.resolve("breakwater-server"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "repository root not found from " + Path.of("").toAbsolutePath());
  }

  static Path resolve(String relative) {
    return root().resolve(relative);
  }
}
