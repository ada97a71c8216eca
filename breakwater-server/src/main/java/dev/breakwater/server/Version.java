package dev.breakwater.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/**
 * Breakwater's version, written once: the POM's, which the build copies into {@code
 * version.properties}. {@code --version}, SHOW VERSION, {@code /api/overview} and the startup log
 * line all read it here.
 */
public final class Version implements IVersionProvider {

  private static final String NUMBER = load();

  /** The project's version, {@code 0.1.0} or {@code 0.2.0-SNAPSHOT}. */
  public static String number() {
    return NUMBER;
  }

  /** {@code Breakwater 0.1.0}. */
  public static String banner() {
    return "Breakwater " + NUMBER;
  }

  /**
   * What SHOW VERSION answers and {@code --version} prints first: the banner, and the PgBouncer
   * release whose console and test suite Breakwater answers like. Tools that read PgBouncer's
   * version find {@code PgBouncer x.y.z} in it; scripts compare the two (PgBouncer's suite does).
   */
  public static String description() {
    return banner() + " (PgBouncer " + PGBOUNCER + " compatible)";
  }

  /** The PgBouncer release Breakwater is tested against (its own test suite). */
  public static final String PGBOUNCER = "1.25.2";

  /** For picocli's {@code --version}: the first line is SHOW VERSION's, as in PgBouncer. */
  @Override
  public String[] getVersion() {
    return new String[] {description()};
  }

  private static String load() {
    try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
      if (in == null) {
        throw new IllegalStateException("version.properties is missing from the build");
      }
      Properties p = new Properties();
      p.load(in);
      String v = p.getProperty("version", "");
      if (v.isBlank() || v.startsWith("${")) {
        throw new IllegalStateException("version.properties was not filtered: " + v);
      }
      return v;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
