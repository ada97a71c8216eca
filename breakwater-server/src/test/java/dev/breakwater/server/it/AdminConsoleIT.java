package dev.breakwater.server.it;

import static dev.breakwater.server.it.SqlErrors.assertServerError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.breakwater.testkit.TestPostgres.Roles;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin console through real clients: every SHOW view with PgBouncer 1.25's columns in
 * PgBouncer's order, the verbs through Control, the errors and their SQLSTATEs, and psql.
 */
class AdminConsoleIT {

  /** PgBouncer 1.25's columns (src/admin.c, src/stats.c), the reference for compatibility. */
  static final Map<String, List<String>> PGBOUNCER_COLUMNS = new LinkedHashMap<>();

  static {
    List<String> sockets =
        List.of("type", "user", "database", "replication", "state", "addr", "port", "local_addr",
            "local_port", "connect_time", "request_time", "wait", "wait_us", "close_needed", "ptr",
            "link", "remote_pid", "tls", "application_name", "prepared_statements", "id");
    PGBOUNCER_COLUMNS.put("SHOW VERSION", List.of("version"));
    // Breakwater adds "pinned" after PgBouncer's columns of SHOW CLIENTS and SHOW SERVERS.
    PGBOUNCER_COLUMNS.put("SHOW CONFIG", List.of("key", "value", "default", "changeable"));
    PGBOUNCER_COLUMNS.put("SHOW DATABASES",
        List.of("name", "host", "port", "database", "force_user", "pool_size", "min_pool_size",
            "reserve_pool_size", "server_lifetime", "pool_mode", "load_balance_hosts",
            "max_connections", "current_connections", "max_client_connections",
            "current_client_connections", "paused", "disabled"));
    PGBOUNCER_COLUMNS.put("SHOW POOLS",
        List.of("database", "user", "cl_active", "cl_waiting", "cl_active_cancel_req",
            "cl_waiting_cancel_req", "sv_active", "sv_active_cancel", "sv_being_canceled",
            "sv_idle", "sv_used", "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode",
            "load_balance_hosts"));
    PGBOUNCER_COLUMNS.put("SHOW CLIENTS", sockets);
    PGBOUNCER_COLUMNS.put("SHOW SERVERS", sockets);
    PGBOUNCER_COLUMNS.put("SHOW USERS",
        List.of("name", "pool_size", "reserve_pool_size", "pool_mode", "max_user_connections",
            "current_connections", "max_user_client_connections", "current_client_connections"));
    PGBOUNCER_COLUMNS.put("SHOW STATS",
        List.of("database", "total_server_assignment_count", "total_xact_count",
            "total_query_count", "total_received", "total_sent", "total_xact_time",
            "total_query_time", "total_wait_time", "total_client_parse_count",
            "total_server_parse_count", "total_bind_count", "avg_server_assignment_count",
            "avg_xact_count", "avg_query_count", "avg_recv", "avg_sent", "avg_xact_time",
            "avg_query_time", "avg_wait_time", "avg_client_parse_count",
            "avg_server_parse_count", "avg_bind_count"));
    PGBOUNCER_COLUMNS.put("SHOW STATS_TOTALS",
        List.of("database", "server_assignment_count", "xact_count", "query_count",
            "bytes_received", "bytes_sent", "xact_time", "query_time", "wait_time",
            "client_parse_count", "server_parse_count", "bind_count"));
    PGBOUNCER_COLUMNS.put("SHOW STATS_AVERAGES",
        List.of("database", "server_assignment_count", "xact_count", "query_count",
            "bytes_received", "bytes_sent", "xact_time", "query_time", "wait_time",
            "avg_client_parse_count", "avg_server_parse_count", "avg_bind_count"));
    PGBOUNCER_COLUMNS.put("SHOW TOTALS", List.of("name", "value"));
    PGBOUNCER_COLUMNS.put("SHOW LISTS", List.of("list", "items"));
    PGBOUNCER_COLUMNS.put("SHOW STATE", List.of("key", "value"));
    PGBOUNCER_COLUMNS.put("SHOW PEERS", List.of("peer_id", "host", "port", "pool_size"));
    PGBOUNCER_COLUMNS.put("SHOW PEER_POOLS",
        List.of("peer_id", "cl_active_cancel_req", "cl_waiting_cancel_req", "sv_active_cancel", "sv_login"));
    PGBOUNCER_COLUMNS.put("SHOW MEM", List.of("name", "size", "used", "free", "memtotal"));
    PGBOUNCER_COLUMNS.put("SHOW DNS_HOSTS", List.of("hostname", "ttl", "addrs"));
    PGBOUNCER_COLUMNS.put("SHOW DNS_ZONES", List.of("zonename", "serial", "count"));
    PGBOUNCER_COLUMNS.put("SHOW SOCKETS",
        List.of("type", "user", "database", "replication", "state", "addr", "port", "local_addr",
            "local_port", "connect_time", "request_time", "wait", "wait_us", "close_needed", "ptr",
            "link", "remote_pid", "tls", "application_name", "prepared_statements", "id", "recv_pos",
            "pkt_pos", "pkt_remain", "send_pos", "send_remain", "pkt_avail", "send_avail"));
    PGBOUNCER_COLUMNS.put("SHOW ACTIVE_SOCKETS", PGBOUNCER_COLUMNS.get("SHOW SOCKETS"));
  }

  static Pooler pooler;
  @TempDir static java.nio.file.Path socketDir;

  @BeforeAll
  static void start() throws Exception {
    pooler =
        Pooler.builder()
            .set("unix_socket_dir", socketDir.toString())
            .set("admin_users", Roles.ADMIN)
            .set("stats_users", Roles.TRUST)
            .set("stats_period", "1")
            .start();
  }

  @AfterAll
  static void stop() {
    pooler.close();
  }

  static Connection console(String user) throws SQLException {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    return pooler.connect("pgbouncer", user, Roles.password(user), p);
  }

  /** Column names and rows (as text) of a console query. */
  record Rows(List<String> columns, List<Map<String, String>> rows) {
    Map<String, String> where(String column, String value) {
      return rows.stream().filter(r -> value.equals(r.get(column))).findFirst().orElse(null);
    }
  }

  static Rows query(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      List<String> cols = new ArrayList<>();
      for (int i = 1; i <= md.getColumnCount(); i++) {
        cols.add(md.getColumnName(i));
      }
      List<Map<String, String>> rows = new ArrayList<>();
      while (rs.next()) {
        Map<String, String> row = new HashMap<>();
        for (int i = 1; i <= cols.size(); i++) {
          row.put(cols.get(i - 1), rs.getString(i));
        }
        rows.add(row);
      }
      return new Rows(cols, rows);
    }
  }

  @Test
  void everyViewHasPgBouncersColumnsInOrder() throws Exception {
    try (Connection app = pooler.connect(Roles.PLAIN);
        Connection admin = console(Roles.ADMIN)) {
      Sql.exec(app, "SELECT 1");
      for (Map.Entry<String, List<String>> e : PGBOUNCER_COLUMNS.entrySet()) {
        List<String> expected = new java.util.ArrayList<>(e.getValue());
        if (e.getKey().equals("SHOW CLIENTS") || e.getKey().equals("SHOW SERVERS")) {
          expected.add("pinned");
        }
        if (e.getKey().equals("SHOW STATS")) {
          expected.add("total_state_check_count");
        }
        if (e.getKey().equals("SHOW STATS_TOTALS")) {
          expected.add("state_check_count");
        }
        assertThat(query(admin, e.getKey()).columns()).as(e.getKey()).containsExactlyElementsOf(expected);
        // Lower case and a semicolon, as pgbouncer_exporter sends them.
        assertThat(query(admin, e.getKey().toLowerCase() + ";").columns()).as(e.getKey()).containsExactlyElementsOf(expected);
      }
    }
  }

  @Test
  void showViewsReportThePoolsClientsAndCounters() throws Exception {
    try (Connection app = pooler.connect(Roles.PLAIN);
        Connection admin = console(Roles.ADMIN)) {
      app.setAutoCommit(false);
      Sql.exec(app, "SELECT 1");
      // In a transaction: the client holds a server.
      Rows pools = query(admin, "SHOW POOLS");
      Map<String, String> pool = pools.where("user", Roles.PLAIN);
      assertThat(pool).isNotNull();
      assertThat(pool.get("database")).isEqualTo(Roles.DATABASE);
      assertThat(Integer.parseInt(pool.get("cl_active"))).isGreaterThanOrEqualTo(1);
      assertThat(Integer.parseInt(pool.get("sv_active"))).isGreaterThanOrEqualTo(1);
      assertThat(pool.get("pool_mode")).isEqualTo("transaction");

      Rows clients = query(admin, "SHOW CLIENTS");
      Map<String, String> client = clients.where("user", Roles.PLAIN);
      assertThat(client.get("type")).isEqualTo("C");
      assertThat(client.get("state")).isEqualTo("active");
      assertThat(client.get("addr")).isEqualTo("127.0.0.1");
      assertThat(client.get("link")).startsWith("S-");
      assertThat(client.get("connect_time")).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d .+");
      assertThat(clients.where("database", "pgbouncer")).as("the console's own client").isNotNull();

      Rows servers = query(admin, "SHOW SERVERS");
      Map<String, String> server = servers.where("link", client.get("ptr"));
      assertThat(server).isNotNull();
      assertThat(server.get("state")).isEqualTo("active");
      assertThat(Integer.parseInt(server.get("remote_pid"))).isEqualTo(Sql.pid(app));
      assertThat(server.get("port")).isEqualTo(Integer.toString(pooler.postgres().port()));
      app.commit();

      Rows dbs = query(admin, "SHOW DATABASES");
      Map<String, String> db = dbs.where("name", Roles.DATABASE);
      assertThat(db.get("pool_size")).isEqualTo("5");
      assertThat(db.get("paused")).isEqualTo("0");
      assertThat(db.get("disabled")).isEqualTo("0");
      assertThat(Integer.parseInt(db.get("current_client_connections"))).isGreaterThanOrEqualTo(1);

      Rows users = query(admin, "SHOW USERS");
      assertThat(users.where("name", Roles.PLAIN)).isNotNull();

      Rows lists = query(admin, "SHOW LISTS");
      assertThat(Integer.parseInt(lists.where("list", "pools").get("items"))).isGreaterThanOrEqualTo(1);
      assertThat(Integer.parseInt(lists.where("list", "used_clients").get("items"))).isGreaterThanOrEqualTo(2);

      assertThat(query(admin, "SHOW STATE").where("key", "active").get("value")).isEqualTo("yes");
      assertThat(query(admin, "SHOW VERSION").rows().get(0).get("version"))
          .isEqualTo("Breakwater " + System.getProperty("breakwater.project.version") + " (PgBouncer 1.25.2 compatible)");
      assertThat(query(admin, "SHOW CONFIG").where("key", "admin_users").get("value")).isEqualTo(Roles.ADMIN);
    }
  }

  @Test
  void statsCountTransactionsAndAverageThemPerSecond() throws Exception {
    try (Connection app = pooler.connect(Roles.PLAIN);
        Connection admin = console(Roles.ADMIN)) {
      long before = xacts(admin);
      for (int i = 0; i < 10; i++) {
        Sql.exec(app, "SELECT " + i);
      }
      assertThat(xacts(admin) - before).isGreaterThanOrEqualTo(10);
      Map<String, String> totals = query(admin, "SHOW STATS_TOTALS").where("database", Roles.DATABASE);
      assertThat(Long.parseLong(totals.get("bytes_received"))).isPositive();
      assertThat(Long.parseLong(totals.get("bytes_sent"))).isPositive();
      assertThat(Long.parseLong(totals.get("query_time"))).isPositive();
      // stats_period is 1 s: within two periods the average sees the transactions.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      long avg = 0;
      while (avg == 0 && System.nanoTime() < deadline) {
        for (int i = 0; i < 5; i++) {
          Sql.exec(app, "SELECT 1");
        }
        Thread.sleep(200);
        avg = Long.parseLong(query(admin, "SHOW STATS_AVERAGES").where("database", Roles.DATABASE).get("xact_count"));
      }
      assertThat(avg).isPositive();
      Map<String, String> t = query(admin, "SHOW TOTALS").where("name", "total_xact_count");
      assertThat(Long.parseLong(t.get("value"))).isGreaterThanOrEqualTo(10);
    }
  }

  @Test
  void consoleCommandsCountAsTransactionsOfDatabasePgbouncer() throws Exception {
    // PgBouncer's test_show_stats: SHOW TOTALS counts the console's commands, itself included.
    try (Connection admin = console(Roles.ADMIN)) {
      long before = Long.parseLong(query(admin, "SHOW STATS").where("database", "pgbouncer").get("total_xact_count"));
      long totalBefore = Long.parseLong(query(admin, "SHOW TOTALS").where("name", "total_query_count").get("value"));
      long after = Long.parseLong(query(admin, "SHOW STATS").where("database", "pgbouncer").get("total_query_count"));
      long totalAfter = Long.parseLong(query(admin, "SHOW TOTALS").where("name", "total_query_count").get("value"));
      assertThat(after - before).as("SHOW TOTALS, then this SHOW STATS").isGreaterThanOrEqualTo(2);
      assertThat(totalAfter - totalBefore).as("SHOW STATS, this SHOW TOTALS").isGreaterThanOrEqualTo(2);
    }
  }

  private static long xacts(Connection admin) throws SQLException {
    Map<String, String> row = query(admin, "SHOW STATS").where("database", Roles.DATABASE);
    return row == null ? 0 : Long.parseLong(row.get("total_xact_count"));
  }

  @Test
  void showHelpIsANotice() throws Exception {
    try (Connection admin = console(Roles.ADMIN);
        Statement s = admin.createStatement()) {
      s.execute("SHOW HELP");
      SQLWarning w = s.getWarnings();
      assertThat((Object) w).isNotNull();
      assertThat(w.getMessage()).contains("Console usage");
    }
  }

  @Test
  void errorsCarrySqlStates() throws Exception {
    try (Connection admin = console(Roles.ADMIN)) {
      assertServerError(() -> query(admin, "SHOW NOTHING"), "42601", "invalid command 'SHOW NOTHING', use SHOW HELP;");
      assertServerError(() -> query(admin, "SELECT * FROM pg_class"), "42601", null);
      // Arguments that name nothing: PgBouncer's 08P01, which scripts written for it catch.
      assertServerError(() -> Sql.exec(admin, "PAUSE nosuchdb"), "08P01", "no such database: nosuchdb");
      assertServerError(() -> Sql.exec(admin, "KILL_CLIENT 999999"), "08P01", "client not found: 999999");
      assertServerError(() -> Sql.exec(admin, "KILL_CLIENT nobody"), "08P01", "invalid client pointer supplied: 'nobody'");
      assertServerError(() -> Sql.exec(admin, "SET no_such_setting = 1"), "22023", null);
      // The session carries on after an error.
      assertThat(query(admin, "SHOW STATE").rows()).hasSize(3);
    }
    try (Connection stats = console(Roles.TRUST)) {
      assertThat(query(stats, "SHOW POOLS").columns()).contains("cl_active");
      assertServerError(() -> Sql.exec(stats, "PAUSE"), "42501", "admin access needed");
      assertServerError(() -> Sql.exec(stats, "SET default_pool_size = 3"), "42501", "admin access needed");
    }
    // The extended protocol is refused as PgBouncer refuses it, and the connection closed.
    Properties extended = new Properties();
    extended.setProperty("preferQueryMode", "extended");
    try (Connection admin = pooler.connect("pgbouncer", Roles.ADMIN, Roles.password(Roles.ADMIN), extended)) {
      assertServerError(() -> query(admin, "SHOW POOLS"), "08P01", "extended query protocol not supported by admin console");
    }
  }

  @Test
  void nonAdminsCannotLogIn() {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    assertServerError(
        () -> pooler.connect("pgbouncer", Roles.PLAIN, Roles.password(Roles.PLAIN), p).close(),
        "42501", null);
  }

  @Test
  void verbsActThroughControl() throws Exception {
    try (Connection admin = console(Roles.ADMIN);
        Connection app = pooler.connect(Roles.PLAIN)) {
      Sql.exec(app, "SELECT 1");

      Sql.exec(admin, "PAUSE " + Roles.DATABASE);
      assertThat(query(admin, "SHOW DATABASES").where("name", Roles.DATABASE).get("paused")).isEqualTo("1");
      Sql.exec(admin, "RESUME " + Roles.DATABASE);
      assertThat(query(admin, "SHOW DATABASES").where("name", Roles.DATABASE).get("paused")).isEqualTo("0");
      assertThat(Sql.one(app, "SELECT 2")).isEqualTo("2");

      Sql.exec(admin, "RECONNECT " + Roles.DATABASE);
      Sql.exec(admin, "WAIT_CLOSE " + Roles.DATABASE);
      assertThat(Sql.one(app, "SELECT 3")).isEqualTo("3");

      Sql.exec(admin, "DISABLE " + Roles.DATABASE);
      assertThat(query(admin, "SHOW DATABASES").where("name", Roles.DATABASE).get("disabled")).isEqualTo("1");
      assertServerError(() -> pooler.connect(Roles.PLAIN).close(), "57P03", null);
      Sql.exec(admin, "ENABLE " + Roles.DATABASE);
      pooler.connect(Roles.PLAIN).close();

      Sql.exec(admin, "SET default_pool_size = 7");
      assertThat(query(admin, "SHOW CONFIG").where("key", "default_pool_size").get("value")).isEqualTo("7");
      Sql.exec(admin, "SET default_pool_size = '5'");
      Sql.exec(admin, "RELOAD");
      assertThat(query(admin, "SHOW CONFIG").where("key", "default_pool_size").get("value")).isEqualTo("5");

      String id = query(admin, "SHOW CLIENTS").where("user", Roles.PLAIN).get("id");
      Sql.exec(admin, "KILL_CLIENT " + id);
      assertServerError(() -> Sql.exec(app, "SELECT 4"), "57P01", null);
    }
  }

  @Test
  void breakwaterIsAnAliasOfTheConsole() throws Exception {
    Properties p = new Properties();
    p.setProperty("preferQueryMode", "simple");
    try (Connection c = pooler.connect("breakwater", Roles.ADMIN, Roles.password(Roles.ADMIN), p)) {
      assertThat(query(c, "SHOW VERSION").rows().get(0).get("version")).startsWith("Breakwater");
    }
  }

  @Test
  void psqlShowsPoolsOverTcpAndTheUnixSocket() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(new java.io.File("/usr/bin/psql").canExecute(), "psql not installed");
    psqlShowsPools("127.0.0.1");
    psqlShowsPools(socketDir.toString());
  }

  private void psqlShowsPools(String host) throws Exception {
    try (Connection app = pooler.connect(Roles.PLAIN)) {
      Sql.exec(app, "SELECT 1");
      ProcessBuilder pb =
          new ProcessBuilder(
              "/usr/bin/psql", "-h", host, "-p", Integer.toString(pooler.port()),
              "-U", Roles.ADMIN, "-X", "-A", "-c", "SHOW POOLS", "pgbouncer");
      pb.environment().put("PGPASSWORD", Roles.password(Roles.ADMIN));
      pb.redirectErrorStream(true);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(out).contains("database|user|cl_active|cl_waiting").contains(Roles.DATABASE + "|" + Roles.PLAIN + "|");
      assertThat(p.exitValue()).as(out).isZero();
    }
  }
}
