package dev.breakwater.server.it;

import dev.breakwater.server.Breakwater;
import dev.breakwater.testkit.TempFiles;
import dev.breakwater.testkit.TestPostgres;
import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * A Breakwater started for one test class in front of the test PostgreSQL, from a pgbouncer.ini
 * and userlist.txt written for it. The auth file holds every test role, each with its secret in a
 * different form: plain text, md5 hash, or the SCRAM verifier copied from pg_authid.
 */
public final class Pooler implements AutoCloseable {

  /** A role whose auth file entry is the SCRAM verifier only: for SCRAM pass-through. */
  public static final String VERIFIER_ONLY = Roles.SCRAM;

  private final TestPostgres pg;
  private final Breakwater breakwater;
  private final Path dir;

  private Pooler(TestPostgres pg, Breakwater breakwater, Path dir) {
    this.pg = pg;
    this.breakwater = breakwater;
    this.dir = dir;
  }

  public static Builder builder() {
    return new Builder(TestPostgres.shared());
  }

  public static Builder builder(TestPostgres pg) {
    return new Builder(pg);
  }

  /** Options of the pooler under test; anything else goes in {@link #set}. */
  public static final class Builder {
    private final TestPostgres pg;
    private final Map<String, String> general = new LinkedHashMap<>();
    private final List<String> databases = new ArrayList<>();
    private final Map<String, String> users = new LinkedHashMap<>();
    private final Map<String, String> secrets = new LinkedHashMap<>();
    private final Map<Integer, String> peers = new LinkedHashMap<>();
    private int threads;

    private Builder(TestPostgres pg) {
      this.pg = pg;
      general.put("listen_addr", "127.0.0.1");
      general.put("auth_type", "scram-sha-256");
      general.put("pool_mode", "transaction");
      general.put("default_pool_size", "5");
      general.put("max_client_conn", "1000");
      general.put("query_wait_timeout", "20");
      general.put("server_login_retry", "1");
    }

    public Builder set(String key, String value) {
      general.put(key, value);
      return this;
    }

    public Builder poolMode(String mode) {
      return set("pool_mode", mode);
    }

    public Builder poolSize(int size) {
      return set("default_pool_size", Integer.toString(size));
    }

    /** A [databases] line, e.g. {@code "forced = dbname=bwtest user=bw_trust"}; host and port are added. */
    public Builder database(String line) {
      int eq = line.indexOf('=');
      databases.add(line.substring(0, eq + 1) + " host=127.0.0.1 port=" + pg.port() + " " + line.substring(eq + 1).trim());
      return this;
    }

    /**
     * The number of event loops ({@code -Dbreakwater.threads}), for a test that needs every client
     * and server on one thread to know which idle server a client is lent.
     */
    public Builder threads(int n) {
      this.threads = n;
      return this;
    }

    /** An extra auth file entry: {@code user} with {@code secret} as the file holds it. */
    public Builder secret(String user, String secret) {
      secrets.put(user, secret);
      return this;
    }

    /** A [users] line. */
    public Builder user(String name, String settings) {
      users.put(name, settings);
      return this;
    }

    /** A [peers] line, e.g. {@code peer(2, "host=127.0.0.1 port=6433")}. */
    public Builder peer(int id, String connectionString) {
      peers.put(id, connectionString);
      return this;
    }

    /** Starts the pooler; its configuration directory is deleted by {@link Pooler#close()}. */
    public Pooler start() throws Exception {
      Path dir = Files.createTempDirectory("bw-it-");
      try {
        return start(dir);
      } catch (Throwable e) {
        TempFiles.delete(dir);
        throw e;
      }
    }

    private Pooler start(Path dir) throws Exception {
      String verifier;
      try (Connection c = pg.superuser();
          Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + VERIFIER_ONLY + "'")) {
        rs.next();
        verifier = rs.getString(1);
      }
      String md5 = dev.breakwater.protocol.auth.Md5Password.encrypt(Roles.password(Roles.MD5), Roles.MD5);
      Files.writeString(
          dir.resolve("userlist.txt"),
          String.join(
              "\n",
              q(Roles.TRUST) + " " + q(Roles.password(Roles.TRUST)),
              q(Roles.PLAIN) + " " + q(Roles.password(Roles.PLAIN)),
              q(Roles.MD5) + " " + q(md5),
              q(VERIFIER_ONLY) + " " + q(verifier),
              q(Roles.ADMIN) + " " + q(Roles.password(Roles.ADMIN)),
              ""));
      for (Map.Entry<String, String> e : secrets.entrySet()) {
        Files.writeString(
            dir.resolve("userlist.txt"),
            q(e.getKey()) + " " + q(e.getValue()) + "\n",
            java.nio.file.StandardOpenOption.APPEND);
      }
      StringBuilder ini = new StringBuilder("[databases]\n");
      for (String d : databases) {
        ini.append(d).append('\n');
      }
      ini.append(Roles.DATABASE).append(" = host=127.0.0.1 port=").append(pg.port()).append(" dbname=").append(Roles.DATABASE).append('\n');
      ini.append("postgres = host=127.0.0.1 port=").append(pg.port()).append(" dbname=postgres\n");
      if (!users.isEmpty()) {
        ini.append("\n[users]\n");
        users.forEach((k, v) -> ini.append(k).append(" = ").append(v).append('\n'));
      }
      if (!peers.isEmpty()) {
        ini.append("\n[peers]\n");
        peers.forEach((k, v) -> ini.append(k).append(" = ").append(v).append('\n'));
      }
      ini.append("\n[pgbouncer]\n");
      general.putIfAbsent("listen_port", Integer.toString(TestPostgres.freePort()));
      general.put("auth_file", dir.resolve("userlist.txt").toString());
      general.forEach((k, v) -> ini.append(k).append(" = ").append(v).append('\n'));
      Files.writeString(dir.resolve("pgbouncer.ini"), ini.toString());
      if (threads == 0) {
        return new Pooler(pg, Breakwater.start(dir.resolve("pgbouncer.ini")), dir);
      }
      synchronized (Builder.class) {
        String before = System.getProperty("breakwater.threads");
        System.setProperty("breakwater.threads", Integer.toString(threads));
        try {
          return new Pooler(pg, Breakwater.start(dir.resolve("pgbouncer.ini")), dir);
        } finally {
          if (before == null) {
            System.clearProperty("breakwater.threads");
          } else {
            System.setProperty("breakwater.threads", before);
          }
        }
      }
    }

    private static String q(String s) {
      return "\"" + s.replace("\"", "\"\"") + "\"";
    }
  }

  public Breakwater breakwater() {
    return breakwater;
  }

  public TestPostgres postgres() {
    return pg;
  }

  public int port() {
    return breakwater.port();
  }

  public Path configDir() {
    return dir;
  }

  public String jdbcUrl(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database;
  }

  /** A pgjdbc connection through the pooler as {@code user}, with that role's test password. */
  public Connection connect(String user) throws SQLException {
    return connect(Roles.DATABASE, user, Roles.password(user), new Properties());
  }

  public Connection connect(String database, String user, String password, Properties extra)
      throws SQLException {
    Properties p = new Properties();
    p.putAll(extra);
    p.setProperty("user", user);
    if (password != null) {
      p.setProperty("password", password);
    }
    p.putIfAbsent("connectTimeout", "10");
    p.putIfAbsent("socketTimeout", "60");
    return DriverManager.getConnection(jdbcUrl(database), p);
  }

  /** Server connections PostgreSQL sees from {@code user} to {@code database}, pooler or not. */
  public int backendsOf(String user) throws SQLException {
    try (Connection c = pg.superuser();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + user + "' AND backend_type = 'client backend'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Override
  public void close() {
    try {
      breakwater.close();
    } finally {
      TempFiles.delete(dir);
    }
  }
}
