package dev.breakwater.server.config;

import static dev.breakwater.server.config.ConfigLoaderTest.failure;
import static dev.breakwater.server.config.ConfigLoaderTest.load;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** [databases] lines: connection-string syntax, every key, the * fallback. */
class DatabaseSectionTest {

  static DatabaseEntry db(String line) throws ConfigException {
    Settings s = load("[pgbouncer]\n[databases]\n" + line + "\n");
    return s.databases().values().iterator().next();
  }

  @Test
  void defaultsOfAnEmptyEntry() throws Exception {
    DatabaseEntry e = db("app =");
    assertThat(e).isEqualTo(DatabaseEntry.named("app"));
    assertThat(e.host()).isNull();
    assertThat(e.hosts()).containsExactly("127.0.0.1");
    assertThat(e.port()).isEqualTo(5432);
    assertThat(e.dbname()).isNull();
    assertThat(e.targetDbname()).isEqualTo("app");
    assertThat(e.password()).isNull();
    assertThat(e.poolMode()).isNull();
    assertThat(e.poolSize()).isNull();
    assertThat(e.loadBalanceHosts()).isEqualTo(LoadBalanceHosts.ROUND_ROBIN);
    assertThat(e.forcesUser()).isFalse();
  }

  @Test
  void everyKey() throws Exception {
    DatabaseEntry e =
        db("app = dbname=app_prod host=db1,db2 port=6543 user=svc password=s3cret"
            + " pool_size=30 min_pool_size=2 reserve_pool_size=4 max_db_connections=40"
            + " max_db_client_connections=500 pool_mode=transaction"
            + " connect_query='SELECT 1' client_encoding=UTF8 datestyle=ISO timezone=UTC"
            + " application_name=bw auth_user=auth auth_query='SELECT p FROM f($1)'"
            + " auth_dbname=authdb server_lifetime=120 load_balance_hosts=disable");
    assertThat(e)
        .isEqualTo(new DatabaseEntry("app", "db1,db2", 6543, "app_prod", "svc", "s3cret", 30, 2,
            4, 40, PoolMode.TRANSACTION, "SELECT 1", "UTF8", "ISO", "UTC", "bw", "auth",
            "SELECT p FROM f($1)", "authdb", Duration.ofMinutes(2), 500,
            LoadBalanceHosts.DISABLE));
    assertThat(e.hosts()).containsExactly("db1", "db2");
    assertThat(e.targetDbname()).isEqualTo("app_prod");
    assertThat(e.forcesUser()).isTrue();
    assertThat(e.toString()).doesNotContain("s3cret");
  }

  @Test
  void reservePoolIsTheOlderNameOfReservePoolSize() throws Exception {
    assertThat(db("a = reserve_pool=7").reservePoolSize()).isEqualTo(7);
  }

  @Test
  void quotingAndEscapes() throws Exception {
    DatabaseEntry e =
        db("app = connect_query='SELECT ''it''''s'', 2'   password='has space'"
            + " application_name='C:\\dir\\' timezone='Europe/Paris'");
    assertThat(e.connectQuery()).isEqualTo("SELECT 'it''s', 2");
    assertThat(e.password()).isEqualTo("has space");
    // As in PgBouncer, a backslash is an ordinary character, also before a quote.
    assertThat(e.applicationName()).isEqualTo("C:\\dir\\");
    assertThat(e.timezone()).isEqualTo("Europe/Paris");
  }

  @Test
  void spacesAroundEqualsAndKeyCase() throws Exception {
    DatabaseEntry e = db("app = host = db1   PORT= 5433  dbname ='x y'");
    assertThat(e.host()).isEqualTo("db1");
    assertThat(e.port()).isEqualTo(5433);
    assertThat(e.dbname()).isEqualTo("x y");
  }

  @Test
  void unixSocketHosts() throws Exception {
    assertThat(db("a = host=/var/run/postgresql").isUnixSocket()).isTrue();
    assertThat(db("a = host=@pg").isUnixSocket()).isTrue();
    assertThat(db("a = host=localhost").isUnixSocket()).isFalse();
  }

  @Test
  void quotedDatabaseNames() throws Exception {
    Settings s =
        load("[pgbouncer]\n[databases]\n'Foo Bar' = host=x\n\"say \"\"hi\"\"\" = host=y\n");
    assertThat(s.databases()).containsOnlyKeys("Foo Bar", "say \"hi\"");
  }

  @Test
  void fallbackEntry() throws Exception {
    Settings s = load("[pgbouncer]\n[databases]\nexact = host=a\n* = host=fallback port=6000\n");
    assertThat(s.databases()).containsOnlyKeys("exact");
    assertThat(s.fallbackDatabase().isFallback()).isTrue();
    assertThat(s.database("exact").orElseThrow().host()).isEqualTo("a");
    DatabaseEntry other = s.database("other").orElseThrow();
    assertThat(other.name()).isEqualTo("other");
    assertThat(other.host()).isEqualTo("fallback");
    assertThat(other.port()).isEqualTo(6000);
    assertThat(other.targetDbname()).isEqualTo("other");
    assertThat(s.database("pgbouncer")).isEmpty();
  }

  @Test
  void fallbackWithDbnameSendsEverythingThere() throws Exception {
    Settings s = load("[pgbouncer]\n[databases]\n* = host=x dbname=shared\n");
    assertThat(s.database("anything").orElseThrow().targetDbname()).isEqualTo("shared");
  }

  @Test
  void noFallbackMeansUnknownDatabase() throws Exception {
    Settings s = load("[pgbouncer]\n[databases]\nexact = host=a\n");
    assertThat(s.database("other")).isEmpty();
    assertThat(s.fallbackDatabase()).isNull();
  }

  @Test
  void laterEntryReplacesEarlierAndOrderIsKept() throws Exception {
    Settings s = load("[pgbouncer]\n[databases]\nb = host=1\na = host=2\nb = host=3\n");
    assertThat(s.databases().keySet()).containsExactly("b", "a");
    assertThat(s.databases().get("b").host()).isEqualTo("3");
  }

  @Test
  void errors() {
    assertThat(failure("[pgbouncer]\n[databases]\napp = host=x pool_size=big\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": pool_size: invalid value \"big\""
            + " (allowed: an integer >= 0)");
    assertThat(failure("[pgbouncer]\n[databases]\napp = pool_mode=sessoin\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": pool_mode: invalid value \"sessoin\""
            + " (allowed: session, transaction, statement)");
    assertThat(failure("[pgbouncer]\n[databases]\napp = port=0\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": port: invalid value \"0\""
            + " (allowed: an integer from 1 to 65535)");
    assertThat(failure("[pgbouncer]\n[databases]\napp = server_lifetime=1h\n").key())
        .isEqualTo("server_lifetime");
    ConfigException unknown = failure("[pgbouncer]\n[databases]\napp = dbnmae=x\n");
    assertThat(unknown.getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": unknown parameter \"dbnmae\" (allowed:"
            + " dbname, host, port, user, password, pool_size, min_pool_size, reserve_pool_size,"
            + " reserve_pool, max_db_connections, max_db_client_connections, pool_mode,"
            + " connect_query, client_encoding, datestyle, timezone, application_name, auth_user,"
            + " auth_query, auth_dbname, server_lifetime, load_balance_hosts)");
    assertThat(unknown.key()).isEqualTo("dbnmae");
    assertThat(failure("[pgbouncer]\n[databases]\napp = password='open\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": syntax error in connection string:"
            + " password: quoted value has no closing quote");
    assertThat(failure("[pgbouncer]\n[databases]\napp = password=''\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": syntax error in connection string:"
            + " password: empty value (leave the key out instead)");
    assertThat(failure("[pgbouncer]\n[databases]\napp = host x\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": syntax error in connection string:"
            + " expected \"=\" after \"host\"");
    assertThat(failure("[pgbouncer]\n[databases]\napp = host='a'b\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database \"app\": syntax error in connection string:"
            + " host: expected a space after the closing quote, found \"b\"");
    assertThat(failure("[pgbouncer]\n[databases]\npgbouncer = host=x\n").getMessage())
        .isEqualTo("pgbouncer.ini:3: database name \"pgbouncer\" is reserved for the admin"
            + " console");
  }
}
