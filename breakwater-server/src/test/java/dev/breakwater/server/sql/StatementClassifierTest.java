package dev.breakwater.server.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.breakwater.server.sql.Effect.AdvisoryUnlock;
import dev.breakwater.server.sql.Effect.AdvisoryUnlockAll;
import dev.breakwater.server.sql.Effect.Begin;
import dev.breakwater.server.sql.Effect.CloseAllCursors;
import dev.breakwater.server.sql.Effect.CloseCursor;
import dev.breakwater.server.sql.Effect.Commit;
import dev.breakwater.server.sql.Effect.Deallocate;
import dev.breakwater.server.sql.Effect.DeallocateAll;
import dev.breakwater.server.sql.Effect.DiscardAll;
import dev.breakwater.server.sql.Effect.DropAllTemp;
import dev.breakwater.server.sql.Effect.DropTable;
import dev.breakwater.server.sql.Effect.Listen;
import dev.breakwater.server.sql.Effect.Pin;
import dev.breakwater.server.sql.Effect.ReleaseSavepoint;
import dev.breakwater.server.sql.Effect.ResetAll;
import dev.breakwater.server.sql.Effect.ResetSetting;
import dev.breakwater.server.sql.Effect.Rollback;
import dev.breakwater.server.sql.Effect.RollbackToSavepoint;
import dev.breakwater.server.sql.Effect.Savepoint;
import dev.breakwater.server.sql.Effect.SetSession;
import dev.breakwater.server.sql.Effect.Uncertain;
import dev.breakwater.server.sql.Effect.Unlisten;
import dev.breakwater.server.sql.Effect.UnlistenAll;
import dev.breakwater.server.sql.StatementClassifier.StatementEffects;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every effect, with the inputs that trip up a naive scanner. */
class StatementClassifierTest {

  private static Arguments c(String sql, Effect... effects) {
    return Arguments.of(sql, List.of(effects));
  }

  private static SetSession set(String name, String value) {
    return new SetSession(name, value);
  }

  private static ResetSetting reset(String name) {
    return new ResetSetting(name);
  }

  private static Uncertain uncertain(String reason) {
    return new Uncertain(reason);
  }

  private static Pin pin(String reason) {
    return new Pin(reason);
  }

  private static Pin pin(String reason, String name) {
    return new Pin(reason, name);
  }

  static Stream<Arguments> setStatements() {
    return Stream.of(
        c("SET statement_timeout = '30s'", set("statement_timeout", "30s")),
        c("set Statement_Timeout to 30000", set("statement_timeout", "30000")),
        c("SeT sTaTeMeNt_TiMeOuT = 1", set("statement_timeout", "1")),
        c("SET SESSION statement_timeout = 5", set("statement_timeout", "5")),
        c("SET \"statement_timeout\" = 5", set("statement_timeout", "5")),
        c("SET search_path = a, \"B\"", set("search_path", "a, \"B\"")),
        c("SET search_path TO \"$user\", public", set("search_path", "\"$user\", public")),
        c("SET search_path = 'My Schema'", set("search_path", "\"My Schema\"")),
        c("SET search_path = public, \"user\", 'select', \"table\"",
            set("search_path", "public, \"user\", \"select\", \"table\"")),
        c("SET search_path = ''", set("search_path", "\"\"")),
        c("SET search_path = \"a\"\"b\"", set("search_path", "\"a\"\"b\"")),
        c("SET search_path = Public", set("search_path", "public")),
        c("SET temp_tablespaces = 'Fast'", set("temp_tablespaces", "\"Fast\"")),
        c("SET application_name = 'it''s'", set("application_name", "it's")),
        c("SET application_name = E'it\\'s'", set("application_name", "it's")),
        c("SET application_name = \"MyApp\"", set("application_name", "MyApp")),
        c("SET application_name = MyApp", set("application_name", "myapp")),
        c("SET application_name = $$a; b$$", set("application_name", "a; b")),
        c("SET application_name = U&'caf\\00e9'", set("application_name", "café")),
        c("SET application_name = ''", set("application_name", "")),
        c("SET myapp.user_id = 42", set("myapp.user_id", "42")),
        c("SET MyApp.User_Id = '42'", set("myapp.user_id", "42")),
        c("SET \"MyApp\".\"x\" = 'v'", set("myapp.x", "v")),
        c("SET extra_float_digits = -3", set("extra_float_digits", "-3")),
        c("SET extra_float_digits=+3", set("extra_float_digits", "3")),
        c("SET work_mem = 0x10", set("work_mem", "16")),
        c("SET work_mem = 1_024", set("work_mem", "1024")),
        c("SET work_mem = 007", set("work_mem", "7")),
        c("SET a.b = 2147483648", set("a.b", "2147483648")),
        c("SET a.b = -2147483648", set("a.b", "-2147483648")),
        c("SET seq_page_cost = 1.50", set("seq_page_cost", "1.50")),
        c("SET seq_page_cost = -1.5e3", set("seq_page_cost", "-1.5e3")),
        c("SET enable_seqscan = off", set("enable_seqscan", "off")),
        c("SET enable_seqscan = ON", set("enable_seqscan", "on")),
        c("SET enable_seqscan TO true", set("enable_seqscan", "true")),
        c("SET DateStyle = ISO, MDY", set("datestyle", "iso, mdy")),
        c("SET DateStyle = 'ISO, MDY'", set("datestyle", "ISO, MDY")),
        c("SET statement_timeout TO DEFAULT", reset("statement_timeout")),
        c("SET statement_timeout = default", reset("statement_timeout")),
        c("SET a.b FROM CURRENT"),
        // special forms
        c("SET TIME ZONE 'UTC'", set("timezone", "UTC")),
        c("SET TIME ZONE \"Europe/Paris\"", set("timezone", "Europe/Paris")),
        c("SET TIME ZONE utc", set("timezone", "utc")),
        c("SET TIME ZONE -8", set("timezone", "-8")),
        c("SET TIME ZONE 5.5", set("timezone", "5.5")),
        c("SET TIME ZONE LOCAL", reset("timezone")),
        c("SET TIME ZONE DEFAULT", reset("timezone")),
        c("SET TIME ZONE INTERVAL '-08:00' HOUR TO MINUTE", pin(Pin.UNRECOGNIZED_SET)),
        c("SET timezone = 'Europe/Paris'", set("timezone", "Europe/Paris")),
        c("SET NAMES 'UTF8'", set("client_encoding", "UTF8")),
        c("SET NAMES DEFAULT", reset("client_encoding")),
        c("SET NAMES", reset("client_encoding")),
        c("SET SCHEMA 'app'", set("search_path", "app")),
        c("SET SCHEMA 'App'", set("search_path", "\"App\"")),
        c("SET XML OPTION DOCUMENT", set("xmloption", "DOCUMENT")),
        c("SET xmloption = content", set("xmloption", "content")),
        c("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
            set("default_transaction_isolation", "repeatable read"),
            set("default_transaction_read_only", "on")),
        c("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE NOT DEFERRABLE"
            + " ISOLATION LEVEL READ COMMITTED",
            set("default_transaction_read_only", "off"),
            set("default_transaction_deferrable", "off"),
            set("default_transaction_isolation", "read committed")),
        c("SET SESSION CHARACTERISTICS AS TRANSACTION DEFERRABLE",
            set("default_transaction_deferrable", "on")),
        c("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SOMETIMES",
            pin(Pin.UNRECOGNIZED_SET)),
        // roles cannot follow the client: pin
        c("SET ROLE admin", pin(Pin.SET_ROLE, "admin")),
        c("SET ROLE 'Admin'", pin(Pin.SET_ROLE, "Admin")),
        c("SET SESSION ROLE admin", pin(Pin.SET_ROLE, "admin")),
        c("SET role = reader", pin(Pin.SET_ROLE, "reader")),
        c("SET ROLE NONE", reset("role")),
        c("SET SESSION AUTHORIZATION 'bob'", pin(Pin.SET_ROLE, "bob")),
        c("SET SESSION SESSION AUTHORIZATION bob", pin(Pin.SET_ROLE, "bob")),
        c("SET SESSION AUTHORIZATION DEFAULT", reset("session_authorization")),
        // transaction-scoped: nothing
        c("SET LOCAL statement_timeout = 5"),
        c("SET LOCAL search_path = a"),
        c("SET LOCAL ROLE admin"),
        c("SET LOCAL TIME ZONE 'UTC'"),
        c("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"),
        c("SET TRANSACTION SNAPSHOT '00000003-0000001B-1'"),
        c("SET transaction_isolation = 'serializable'"),
        c("SET transaction_read_only TO on"),
        c("SET CONSTRAINTS ALL DEFERRED"),
        c("SET CATALOG 'x'"),
        // what PostgreSQL would reject, or what this classifier cannot render
        c("SET statement_timeout 5", pin(Pin.UNRECOGNIZED_SET)),
        c("SET a.b = 1 + 2", pin(Pin.UNRECOGNIZED_SET)),
        c("SET a.b = select", pin(Pin.UNRECOGNIZED_SET)),
        c("SET a.b = $1", pin(Pin.UNRECOGNIZED_SET)),
        c("SET a.b = B'101'", pin(Pin.UNRECOGNIZED_SET)),
        c("SET", pin(Pin.UNRECOGNIZED_SET)),
        c("SET a.b =", pin(Pin.UNRECOGNIZED_SET)),
        c("SET a.b = 1,", pin(Pin.UNRECOGNIZED_SET)),
        c("SET NAMES utf8", pin(Pin.UNRECOGNIZED_SET)),
        // RESET
        c("RESET statement_timeout", reset("statement_timeout")),
        c("reset MyApp.User_Id", reset("myapp.user_id")),
        c("RESET ALL", new ResetAll()),
        c("RESET TIME ZONE", reset("timezone")),
        c("RESET SESSION AUTHORIZATION", reset("session_authorization")),
        c("RESET ROLE", reset("role")),
        c("RESET TRANSACTION ISOLATION LEVEL"),
        c("RESET transaction_read_only"),
        c("RESET", pin(Pin.UNRECOGNIZED_SET)),
        // DISCARD
        c("DISCARD ALL", new DiscardAll()),
        c("discard temp", new DropAllTemp()),
        c("DISCARD TEMPORARY", new DropAllTemp()),
        c("DISCARD PLANS"),
        c("DISCARD SEQUENCES"));
  }

  static Stream<Arguments> functionCalls() {
    return Stream.of(
        c("select set_config('a.b', 'v', false), 1", set("a.b", "v")),
        c("SELECT set_config('search_path', 'a, \"B\"', false)", set("search_path", "a, \"B\"")),
        c("SELECT pg_catalog.set_config('Statement_Timeout', '5s', 'f')",
            set("statement_timeout", "5s")),
        c("SELECT set_config('a.b', 'v', 'off')", set("a.b", "v")),
        c("SELECT set_config('a.b', 'v', NULL)", set("a.b", "v")),
        c("SELECT set_config('a.b', 'v'::text, false::boolean)", set("a.b", "v")),
        c("SELECT set_config('a.b'::pg_catalog.text, 'v'::character varying, false)",
            set("a.b", "v")),
        c("SELECT \"set_config\"('a.b', E'\\t', FALSE)", set("a.b", "\t")),
        c("SELECT set_config('a.b', 'x', false), now(), set_config('c.d', 'y', false)",
            set("a.b", "x"), set("c.d", "y")),
        c("SELECT 1 FROM t WHERE set_config('a.b', 'v', false) IS NOT NULL", set("a.b", "v")),
        c("SELECT set_config('a.b', NULL, false)", reset("a.b")),
        c("SELECT set_config('role', 'admin', false)", pin(Pin.SET_ROLE, "admin")),
        c("SELECT set_config('a.b', 'v', true)"),
        c("SELECT set_config('a.b', 'v', 'yes')"),
        c("SELECT set_config('a.b', $1, false)", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT set_config('a.b', 'v', $1)", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT set_config($1, 'v', false)", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT set_config('a.b', 'v' || 'w', false)", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT set_config('a.b', lower('V'), false)", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT set_config('a.b', 'v'::int, false)", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT set_config('a.b', 'v', 'maybe')", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT set_config('a.b', 'v')", pin(Pin.SET_CONFIG_COMPUTED)),
        c("SELECT myschema.set_config('a.b', 'v', false)", uncertain(Uncertain.FUNCTION)),
        c("SELECT set_config FROM t"),
        c("SELECT 'set_config(''a.b'', ''v'', false)'"),
        // advisory locks
        c("SELECT pg_advisory_lock(1)", pin(Pin.ADVISORY_LOCK)),
        c("SELECT PG_ADVISORY_LOCK(1, 2)", pin(Pin.ADVISORY_LOCK)),
        c("SELECT pg_advisory_lock_shared(1)", pin(Pin.ADVISORY_LOCK)),
        c("SELECT pg_try_advisory_lock(hashtext('job'))", pin(Pin.ADVISORY_LOCK)),
        c("SELECT pg_try_advisory_lock_shared(1)", pin(Pin.ADVISORY_LOCK)),
        c("SELECT pg_catalog.pg_advisory_lock (1)", pin(Pin.ADVISORY_LOCK)),
        c("SELECT * FROM jobs WHERE pg_try_advisory_lock(id) LIMIT 1", pin(Pin.ADVISORY_LOCK)),
        c("WITH x AS (SELECT pg_advisory_lock(1)) SELECT * FROM x", pin(Pin.ADVISORY_LOCK)),
        c("(SELECT pg_advisory_lock(1))", pin(Pin.ADVISORY_LOCK)),
        c("SELECT pg_advisory_lock(1), pg_advisory_lock(2)",
            pin(Pin.ADVISORY_LOCK), pin(Pin.ADVISORY_LOCK)),
        c("SELECT pg_advisory_xact_lock(1)"),
        c("SELECT pg_try_advisory_xact_lock_shared(1)"),
        c("SELECT other.pg_advisory_lock(1)", uncertain(Uncertain.FUNCTION)),
        c("SELECT pg_advisory_lock FROM t"),
        c("SELECT pg_advisory_unlock(1)", new AdvisoryUnlock()),
        c("SELECT pg_advisory_unlock_shared(1, 2)", new AdvisoryUnlock()),
        c("SELECT pg_advisory_unlock_all()", new AdvisoryUnlockAll()),
        c("DROP FUNCTION pg_advisory_lock(bigint)"),
        c("GRANT EXECUTE ON FUNCTION pg_advisory_lock(bigint) TO bob"),
        c("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'SELECT pg_advisory_lock(1)'"),
        c("CREATE VIEW v AS SELECT pg_advisory_lock(1)"),
        c("CALL p(pg_advisory_lock(1))", uncertain(Uncertain.CALL), pin(Pin.ADVISORY_LOCK),
            uncertain(Uncertain.FUNCTION)),
        c("INSERT INTO t SELECT pg_advisory_unlock(1)", new AdvisoryUnlock()),
        c("UPDATE t SET\nlocked = pg_try_advisory_lock(id)", pin(Pin.ADVISORY_LOCK)),
        c("EXPLAIN ANALYZE SELECT pg_advisory_lock(1)", pin(Pin.ADVISORY_LOCK)),
        c("COPY (SELECT pg_advisory_lock(1)) TO STDOUT", pin(Pin.ADVISORY_LOCK)));
  }

  static Stream<Arguments> pinsAndUnpins() {
    return Stream.of(
        // temporary tables
        c("CREATE TEMP TABLE t (x int)", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE TEMPORARY TABLE t AS SELECT 1", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE TEMP TABLE t (x int) ON COMMIT DROP"),
        c("create temp table t on commit drop as select 1"),
        c("CREATE TEMP TABLE t (x int) ON COMMIT DELETE ROWS", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE TEMP TABLE t (x int) ON COMMIT PRESERVE ROWS", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE TEMP TABLE IF NOT EXISTS \"T\" (x int)", pin(Pin.TEMP_TABLE, "T")),
        c("CREATE GLOBAL TEMPORARY TABLE t (x int)", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE LOCAL TEMP TABLE t (x int)", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE TABLE pg_temp.t (x int)", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE TEMP TABLE t (LIKE other INCLUDING ALL)", pin(Pin.TEMP_TABLE, "t")),
        c("CREATE TEMP TABLE t AS SELECT pg_advisory_lock(1)",
            pin(Pin.TEMP_TABLE, "t"), pin(Pin.ADVISORY_LOCK)),
        c("CREATE TEMP VIEW v AS SELECT 1", pin(Pin.TEMP_TABLE, "v")),
        c("CREATE OR REPLACE TEMP VIEW v AS SELECT 1", pin(Pin.TEMP_TABLE, "v")),
        c("CREATE TEMP SEQUENCE s", pin(Pin.TEMP_TABLE, "s")),
        c("CREATE TABLE t (x int)"),
        c("CREATE UNLOGGED TABLE t (x int)"),
        c("CREATE TABLE temp (x int)"),
        c("CREATE TABLE public.t AS SELECT 1"),
        c("SELECT * INTO TEMP t FROM x", pin(Pin.TEMP_TABLE, "t")),
        c("SELECT 1 AS a INTO TEMPORARY TABLE t", pin(Pin.TEMP_TABLE, "t")),
        c("SELECT 1 INTO LOCAL TEMP t", pin(Pin.TEMP_TABLE, "t")),
        c("SELECT * INTO t FROM x"),
        c("INSERT INTO temp SELECT 1"),
        c("DROP TABLE t", new DropTable("t")),
        c("DROP TABLE IF EXISTS a, pg_temp.b, public.c, \"D\" CASCADE",
            new DropTable("a"), new DropTable("b"), new DropTable("D")),
        c("DROP VIEW v", new DropTable("v")),
        c("DROP SEQUENCE s", new DropTable("s")),
        c("DROP INDEX i"),
        // cursors
        c("DECLARE c CURSOR WITH HOLD FOR SELECT 1", pin(Pin.CURSOR_WITH_HOLD, "c")),
        c("DECLARE \"C\" BINARY NO SCROLL CURSOR WITH HOLD FOR SELECT 1",
            pin(Pin.CURSOR_WITH_HOLD, "C")),
        c("DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1"),
        c("DECLARE c SCROLL CURSOR FOR SELECT 1"),
        c("DECLARE c CURSOR FOR SELECT pg_advisory_lock(1)", pin(Pin.ADVISORY_LOCK)),
        c("CLOSE c", new CloseCursor("c")),
        c("CLOSE \"C\"", new CloseCursor("C")),
        c("CLOSE ALL", new CloseAllCursors()),
        // SQL-level prepared statements
        c("PREPARE q (int) AS SELECT $1", pin(Pin.PREPARE, "q")),
        c("PREPARE Q AS SELECT 1", pin(Pin.PREPARE, "q")),
        c("PREPARE q AS SELECT pg_advisory_lock(1)", pin(Pin.PREPARE, "q"), pin(Pin.ADVISORY_LOCK)),
        c("PREPARE q AS SELECT pg_advisory_unlock_all()", pin(Pin.PREPARE, "q")),
        c("PREPARE q AS SELECT set_config('a.b', 'v', false)",
            pin(Pin.PREPARE, "q"), pin(Pin.SET_CONFIG_COMPUTED)),
        c("DEALLOCATE q", new Deallocate("q")),
        c("DEALLOCATE PREPARE q", new Deallocate("q")),
        c("DEALLOCATE prepare", new Deallocate("prepare")),
        c("DEALLOCATE ALL", new DeallocateAll()),
        c("DEALLOCATE PREPARE ALL", new DeallocateAll()),
        c("EXECUTE q(1)"),
        // LOAD
        c("LOAD 'auto_explain'", pin(Pin.LOAD, "auto_explain")),
        // LISTEN is followed, not pinned
        c("LISTEN jobs", new Listen("jobs")),
        c("LISTEN \"Jobs\"", new Listen("Jobs")),
        c("UNLISTEN jobs", new Unlisten("jobs")),
        c("UNLISTEN *", new UnlistenAll()),
        c("NOTIFY jobs, 'x'"),
        c("SELECT pg_notify('jobs', 'x')"),
        // DO blocks: pins only
        c("DO $$BEGIN PERFORM pg_advisory_lock(1); END$$", uncertain(Uncertain.DO_BLOCK), pin(Pin.ADVISORY_LOCK)),
        c("DO LANGUAGE plpgsql 'BEGIN PERFORM pg_advisory_lock(1); END'", uncertain(Uncertain.DO_BLOCK),
            pin(Pin.ADVISORY_LOCK)),
        c("DO $$BEGIN PERFORM pg_advisory_unlock_all(); END$$", uncertain(Uncertain.DO_BLOCK)),
        c("DO $$BEGIN CREATE TEMP TABLE t (x int); END$$", uncertain(Uncertain.DO_BLOCK), pin(Pin.TEMP_TABLE)),
        c("DO $$BEGIN PERFORM set_config('a.b', 'c', false); END$$", uncertain(Uncertain.DO_BLOCK),
            pin(Pin.SET_CONFIG_COMPUTED)),
        c("DO $$BEGIN PERFORM set_config('a.b', 'c', true); END$$", uncertain(Uncertain.DO_BLOCK)),
        c("DO $$BEGIN RAISE NOTICE 'temp'; END$$", uncertain(Uncertain.DO_BLOCK)));
  }

  static Stream<Arguments> transactionControl() {
    return Stream.of(
        c("BEGIN", new Begin()),
        c("begin work", new Begin()),
        c("BEGIN ISOLATION LEVEL SERIALIZABLE, READ ONLY", new Begin()),
        c("START TRANSACTION READ ONLY", new Begin()),
        c("COMMIT", new Commit()),
        c("COMMIT WORK", new Commit()),
        c("END", new Commit()),
        c("END TRANSACTION", new Commit()),
        c("COMMIT AND CHAIN", new Commit(), new Begin()),
        c("END WORK AND CHAIN", new Commit(), new Begin()),
        c("COMMIT AND NO CHAIN", new Commit()),
        c("ROLLBACK", new Rollback()),
        c("ABORT", new Rollback()),
        c("ROLLBACK TRANSACTION AND CHAIN", new Rollback(), new Begin()),
        c("ROLLBACK TO SAVEPOINT s1", new RollbackToSavepoint("s1")),
        c("ROLLBACK WORK TO s1", new RollbackToSavepoint("s1")),
        c("ROLLBACK TO savepoint", new RollbackToSavepoint("savepoint")),
        c("SAVEPOINT s1", new Savepoint("s1")),
        c("RELEASE SAVEPOINT s1", new ReleaseSavepoint("s1")),
        c("RELEASE S1", new ReleaseSavepoint("s1")),
        c("PREPARE TRANSACTION 'gid'", new Commit()),
        c("COMMIT PREPARED 'gid'"),
        c("ROLLBACK PREPARED 'gid'"));
  }

  static Stream<Arguments> trickyText() {
    return Stream.of(
        // keywords where they are not statements
        c("SELECT 'SET x = 1'"),
        c("SELECT $$SET x=1$$"),
        c("SELECT $fn$ SELECT pg_advisory_lock(1); SET a.b = 1 $fn$"),
        c("SELECT \"SET\" FROM t"),
        c("SELECT 1 AS \"pg_advisory_lock\""),
        c("SELECT E'\\' ; SET a.b = 1; '"),
        c("SELECT '\\'; SET a.b = 1", set("a.b", "1")),
        c("/* SET a.b = 1 */ SELECT 1"),
        c("-- SET a.b = 1\nSELECT 1"),
        c("SELECT 1 -- ; SET a.b = 1"),
        c("/* outer /* inner */ SET a.b = 1; */ SELECT 1"),
        c("SELECT 1 /* pg_advisory_lock(1) */"),
        c("UPDATE t SET x = 1 WHERE id = 2"),
        c("UPDATE t\nSET x = 1\nWHERE id = 2"),
        c("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING"),
        c("SELECT CASE WHEN x THEN 1\nEND FROM t"),
        c("SELECT reset, discard, \"begin\" FROM settings"),
        // comments around and inside statements
        c("/* c */ SET /* c2 */ statement_timeout /* c3 */ = -- c4\n '5s' -- c5",
            set("statement_timeout", "5s")),
        c("--x\nSET a.b = 1", set("a.b", "1")),
        c("SELECT pg_advisory_lock /* c */ (1)", pin(Pin.ADVISORY_LOCK)),
        c("SET application_name = 'a'\n'b'", set("application_name", "ab")),
        // several statements
        c("SET a.b = 1; SELECT pg_advisory_lock(1); RESET a.b",
            set("a.b", "1"), pin(Pin.ADVISORY_LOCK), reset("a.b")),
        c("SET a.b = 1;; ;\n; RESET a.b;", set("a.b", "1"), reset("a.b")),
        c("BEGIN; SET search_path = app; COMMIT",
            new Begin(), set("search_path", "app"), new Commit()),
        c("SELECT 1;SET a.b=2", set("a.b", "2")),
        c("SELECT 1/**/;SET a.b=2", set("a.b", "2")),
        // BEGIN ATOMIC bodies hold semicolons that do not end the statement
        c("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC"
            + " SELECT pg_advisory_lock(1); SELECT CASE WHEN true THEN 1 END; END; SET a.b = 1",
            set("a.b", "1")),
        c("CREATE OR REPLACE PROCEDURE p() BEGIN ATOMIC SET x TO 1; END"),
        // a function named begin does not open a routine body (issue 17)
        c("CREATE FUNCTION s.begin() RETURNS int LANGUAGE sql AS 'select 1'; SET work_mem = '7MB'",
            set("work_mem", "7MB")),
        c("CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SET a.b = 1",
            uncertain(Uncertain.UNREADABLE)),
        // calls the classifier cannot see into
        c("SELECT my_audit('x')", uncertain(Uncertain.FUNCTION)),
        c("SELECT app.touch()", uncertain(Uncertain.FUNCTION)),
        c("SELECT \"count\"(1), app.\"Touch\"()", uncertain(Uncertain.FUNCTION)),
        c("SELECT * FROM app.items_for(1)", uncertain(Uncertain.FUNCTION)),
        c("SELECT pg_catalog.now(), count(*), lower(x) FROM t"),
        c("SELECT myschema.count(*) FROM t", uncertain(Uncertain.FUNCTION)),
        c("INSERT INTO t (a, b) VALUES (1, 2) ON CONFLICT (a) DO NOTHING"),
        c("INSERT INTO app.t (a) SELECT x FROM u WHERE y IN (1, 2) AND EXISTS (SELECT 1)"),
        c("CREATE TABLE t (id numeric(10, 2) REFERENCES u (id), c varchar(20))"),
        c("SELECT x FROM t AS a (x) JOIN u ON (a.x = u.x) WHERE x = ANY (ARRAY[1])"),
        c("WITH w (a) AS (SELECT 1) SELECT a FROM w"),
        c("CALL p()", uncertain(Uncertain.CALL), uncertain(Uncertain.FUNCTION)),
        // found by review: unreserved keywords can name a user's function
        c("SELECT search('x'), hash(id) FROM t", uncertain(Uncertain.FUNCTION)),
        c("SELECT count(*) OVER (PARTITION BY a), sum(b) FILTER (WHERE c) FROM t"),
        c("SELECT * FROM a JOIN (SELECT 1) b ON true"),
        c("SELECT * FROM a JOIN b ON conflict(1)", uncertain(Uncertain.FUNCTION)),
        c("SELECT\n  -- apply the tenant's role\n  apply_tenant(42)", uncertain(Uncertain.FUNCTION)),
        c("SELECT myfn/**/(1)", uncertain(Uncertain.FUNCTION)),
        c("SELECT myschema . count(x) FROM t", uncertain(Uncertain.FUNCTION)),
        c("DO $$BEGIN SET search_path = evil, public; END$$", uncertain(Uncertain.DO_BLOCK)),
        // text that does not lex runs nothing, unless PostgreSQL reads it otherwise: not known
        c("SET a.b = 'x", uncertain(Uncertain.UNREADABLE)),
        c("SET a.b = 1; /* unterminated", uncertain(Uncertain.UNREADABLE)),
        c("SET a.b = $$x", uncertain(Uncertain.UNREADABLE)),
        c("SET a.b = 1; SELECT \"abc", uncertain(Uncertain.UNREADABLE)),
        c("SET a.b = 1; SELECT 1abc", uncertain(Uncertain.UNREADABLE)),
        c(""),
        c("   "),
        c(";"));
  }

  static Stream<Arguments> allCases() {
    return Stream.of(setStatements(), functionCalls(), pinsAndUnpins(), transactionControl(),
        trickyText()).flatMap(s -> s);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("setStatements")
  void setAndReset(String sql, List<Effect> expected) {
    assertThat(StatementClassifier.classify(sql)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("functionCalls")
  void functionCallsAnywhereInAStatement(String sql, List<Effect> expected) {
    assertThat(StatementClassifier.classify(sql)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("pinsAndUnpins")
  void pinsAndWhatReleasesThem(String sql, List<Effect> expected) {
    assertThat(StatementClassifier.classify(sql)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("transactionControl")
  void transactionControl(String sql, List<Effect> expected) {
    assertThat(StatementClassifier.classify(sql)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("trickyText")
  void trickyText(String sql, List<Effect> expected) {
    assertThat(StatementClassifier.classify(sql)).isEqualTo(expected);
  }

  /** The pre-check never hides an effect: false negatives would be bugs. */
  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("allCases")
  void preCheckHasNoFalseNegatives(String sql, List<Effect> expected) {
    List<StatementEffects> full = StatementClassifier.classifyWithoutPrecheck(sql, true);
    if (!full.isEmpty()) {
      assertThat(StatementClassifier.mightHaveEffects(sql)).isTrue();
      byte[] utf8 = ("xx" + sql + "yy").getBytes(StandardCharsets.UTF_8);
      // bytes around the text must not matter: they are outside offset/length
      byte[] padded = Arrays.copyOf(utf8, utf8.length);
      padded[0] = ';';
      assertThat(StatementClassifier.mightHaveEffects(padded, 2, utf8.length - 4)).isTrue();
    }
    assertThat(StatementClassifier.classifyStatements(sql)).isEqualTo(full);
  }

  @Test
  void standardConformingStringsOff() {
    // with backslash escapes, '\'' is a quote inside a string: the SET is inside it
    assertThat(StatementClassifier.classify("SELECT '\\'; SET a.b = 1 --'", false)).isEmpty();
    assertThat(StatementClassifier.classify("SELECT '\\'; SET a.b = 1 --'", true))
        .containsExactly(set("a.b", "1"));
    assertThat(StatementClassifier.classify("SET application_name = 'it\\'s'", false))
        .containsExactly(set("application_name", "it's"));
  }

  @Test
  void effectsByStatementCountNonEmptyStatements() {
    assertThat(StatementClassifier.classifyStatements(
        "SELECT 1; SET a.b = 1; ; /* empty */ ; SELECT 2; RESET a.b; BEGIN; SELECT 3"))
        .containsExactly(
            new StatementEffects(1, List.of(set("a.b", "1"))),
            new StatementEffects(3, List.of(reset("a.b"))),
            new StatementEffects(4, List.of(new Begin())));
    assertThat(StatementClassifier.classifyStatements("SELECT 1")).isEmpty();
  }

  @Test
  void resultsAreImmutable() {
    List<Effect> effects = StatementClassifier.classify("SET a.b = 1; RESET a.b");
    assertThat(effects).hasSize(2);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> effects.add(new ResetAll()))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  static Stream<Arguments> preChecks() {
    return Stream.of(
        Arguments.of("SELECT id, name, email FROM users WHERE id = $1", false),
        Arguments.of("UPDATE accounts SET balance = balance - $1 WHERE id = $2", false),
        Arguments.of("INSERT INTO t(a, b) VALUES ($1, $2) ON CONFLICT (a) DO NOTHING", false),
        Arguments.of("SELECT offset_value, dataset, settings, reset_at FROM x OFFSET 5", false),
        Arguments.of("SELECT * FROM t ORDER BY created_at DESC LIMIT 10", false),
        Arguments.of("DELETE FROM sessions WHERE expires < now()", false),
        Arguments.of("SELECT 1 WHERE x = 'end'", false),
        Arguments.of("SET a = 1", true),
        Arguments.of("  set a = 1", true),
        Arguments.of("/* c */SET a = 1", true),
        Arguments.of("-- c\nset a = 1", true),
        Arguments.of("SELECT 1;SET a = 1", true),
        Arguments.of("SELECT pg_try_advisory_lock(1)", true),
        Arguments.of("SELECT PG_CATALOG.SET_CONFIG('a', 'b', false)", true),
        Arguments.of("CREATE TEMP TABLE t (x int)", true),
        Arguments.of("CREATE TABLE PG_TEMP.t (x int)", true),
        Arguments.of("SELECT * INTO TEMPORARY t FROM x", true),
        Arguments.of("SELECT U&\"\\0073et_config\"('a.b', 'v', false)", true),
        Arguments.of("COMMIT", true),
        Arguments.of("\tEnd", true),
        Arguments.of("deallocate all", true),
        Arguments.of("DO $$BEGIN SET search_path = evil; END$$", true),
        Arguments.of("call p()", true),
        Arguments.of("SELECT my_audit('x')", true),
        Arguments.of("SELECT app.count(1)", true),
        Arguments.of("SELECT \"Touch\" (1)", true),
        Arguments.of("SELECT count(*), pg_catalog.now(), lower(name) FROM t", false),
        Arguments.of("INSERT INTO app.t (a, b) VALUES ($1, $2)", false),
        Arguments.of("SELECT x FROM t WHERE y IN (1, 2) AND EXISTS (SELECT 1)", false),
        Arguments.of("SELECT\n  -- apply the tenant's role\n  apply_tenant(42)", true),
        Arguments.of("SELECT myfn/**/(1)", true),
        Arguments.of("SELECT myfn\u000B(1)", true),
        Arguments.of("SELECT myschema . count(x) FROM t", true),
        Arguments.of("SELECT search('x')", true),
        Arguments.of("SELECT * FROM a JOIN b ON conflict(1)", true));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("preChecks")
  void preCheck(String sql, boolean expected) {
    assertThat(StatementClassifier.mightHaveEffects(sql)).isEqualTo(expected);
    byte[] utf8 = sql.getBytes(StandardCharsets.UTF_8);
    assertThat(StatementClassifier.mightHaveEffects(utf8, 0, utf8.length)).isEqualTo(expected);
  }

  @Test
  void unicodeEscapedFunctionNamesAreSeen() {
    assertThat(StatementClassifier.classify("SELECT U&\"\\0073et_config\"('a.b', 'v', false)"))
        .containsExactly(set("a.b", "v"));
  }

  /**
   * The common case must cost a scan of the bytes and nothing else (the pre-check over a Query's
   * bytes, which the session tracker runs on every statement).
   */
  @Test
  void preCheckOfAnOrdinaryQueryAllocatesNothing() {
    String sql = "SELECT o.id, o.total, c.name FROM orders o JOIN customers c ON c.id = o.customer"
        + " WHERE o.id = $1";
    assertThat(sql.length()).isBetween(95, 110);
    byte[] utf8 = sql.getBytes(StandardCharsets.UTF_8);
    int hits = 0;
    for (int i = 0; i < 100_000; i++) { // warm up, so the JIT has compiled it
      hits += StatementClassifier.mightHaveEffects(utf8, 0, utf8.length) ? 1 : 0;
    }
    assertThat(hits).isZero();

    var threads = ManagementFactory.getThreadMXBean();
    assumeThat(threads).isInstanceOf(com.sun.management.ThreadMXBean.class);
    var sun = (com.sun.management.ThreadMXBean) threads;
    assumeThat(sun.isThreadAllocatedMemorySupported()).isTrue();
    sun.setThreadAllocatedMemoryEnabled(true);
    // The best of three rounds of 200,000 calls: one allocation per call would be 3.2 MB or
    // more; the JVM's own occasional bookkeeping is a few kilobytes at most.
    long allocated = Long.MAX_VALUE;
    long elapsed = Long.MAX_VALUE;
    for (int round = 0; round < 3; round++) {
      long before = sun.getCurrentThreadAllocatedBytes();
      long start = System.nanoTime();
      for (int i = 0; i < 200_000; i++) {
        hits += StatementClassifier.mightHaveEffects(utf8, 0, utf8.length) ? 1 : 0;
      }
      elapsed = Math.min(elapsed, System.nanoTime() - start);
      allocated = Math.min(allocated, sun.getCurrentThreadAllocatedBytes() - before);
    }
    assertThat(hits).isZero();
    assertThat(allocated).as("bytes allocated by 200,000 pre-checks").isLessThan(64 * 1024);
    assertThat(elapsed / 200_000).as("ns per pre-check").isLessThan(20_000);
  }
}
