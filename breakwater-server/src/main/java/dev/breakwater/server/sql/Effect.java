package dev.breakwater.server.sql;

/**
 * What a statement does to session state that a transaction-mode pooler has to follow, as found by
 * {@link StatementClassifier}. Effects describe what happens <em>if the statement succeeds</em>;
 * the caller applies them when the statement's CommandComplete arrives, drops them on an error,
 * and handles transaction blocks (a setting changed inside a block takes effect at COMMIT and is
 * undone by ROLLBACK or ROLLBACK TO an earlier savepoint).
 *
 * <p>Names of settings are lower case (setting names are case-insensitive); other names (tables,
 * cursors, prepared statements, channels) are as PostgreSQL folds them: lower case unless quoted.
 */
public sealed interface Effect {

  /**
   * A session-level setting changed: {@code value} is what {@code SELECT set_config(name, value,
   * false)} accepts to give the same result (a {@code SET} list is joined with {@code ", "}, and
   * for {@code search_path} and the other list-of-names settings, names are quoted as PostgreSQL
   * quotes them).
   */
  record SetSession(String name, String value) implements Effect {}

  /** {@code RESET name}, {@code SET name TO DEFAULT}: back to the session's default. */
  record ResetSetting(String name) implements Effect {}

  /** {@code RESET ALL}: every setting back to its default, except role and session user. */
  record ResetAll() implements Effect {}

  /**
   * {@code DISCARD ALL}: settings, role, prepared statements, cursors, temp tables, LISTENs and
   * advisory locks all gone; nothing pins any more.
   */
  record DiscardAll() implements Effect {}

  /**
   * The statement may change session state in a way the classifier cannot see: a DO block, a
   * CALL, a function it does not know, text it could not read. The pooler must not take the
   * server for clean after the transaction; it reads the session state back instead. {@code
   * reason} is one of the constants below.
   */
  record Uncertain(String reason) implements Effect {
    public static final String DO_BLOCK = "do_block";
    public static final String CALL = "call";
    public static final String FUNCTION = "function";
    public static final String UNREADABLE = "unreadable";
  }

  /** {@code DISCARD TEMP}: every temporary table (and other temporary object) dropped. */
  record DropAllTemp() implements Effect {}

  /**
   * State that lives in one server session and cannot be replayed elsewhere: the client must keep
   * its server until the state is gone. {@code reason} is one of the constants below (stable keys
   * for counters, SHOW CLIENTS and logs); {@code name} is the table, cursor, statement or file
   * concerned, or null.
   */
  record Pin(String reason, String name) implements Effect {

    /** {@code pg_advisory_lock}, {@code _shared}, {@code pg_try_advisory_lock(_shared)}. */
    public static final String ADVISORY_LOCK = "advisory_lock";
    /**
     * {@code CREATE TEMP TABLE|VIEW|SEQUENCE} (or in pg_temp) without ON COMMIT DROP, {@code
     * SELECT ... INTO TEMP}; name is the relation, released by {@link DropTable}, DISCARD TEMP or
     * DISCARD ALL. A temp table created inside a DO block has no name: only DISCARD releases it.
     */
    public static final String TEMP_TABLE = "temp_table";
    /** {@code DECLARE name ... CURSOR WITH HOLD}. */
    public static final String CURSOR_WITH_HOLD = "cursor_with_hold";
    /** SQL-level {@code PREPARE name}. */
    public static final String PREPARE = "prepare";
    /** {@code LOAD 'library'}. */
    public static final String LOAD = "load";
    /**
     * {@code SET ROLE}, {@code SET SESSION AUTHORIZATION} (or set_config of either); name is the
     * role. Gone with {@code ResetSetting("role")} (RESET ROLE, SET ROLE NONE) when no session
     * authorization was set, with {@code ResetSetting("session_authorization")}, or DISCARD ALL.
     */
    public static final String SET_ROLE = "set_role";
    /** {@code set_config(...)} whose arguments are not all literals. */
    public static final String SET_CONFIG_COMPUTED = "set_config_computed";
    /** A SET or RESET this classifier cannot render for replay. */
    public static final String UNRECOGNIZED_SET = "unrecognized_set";
    /**
     * Not from the classifier: the pooler could not read back a session state it could not
     * follow (its check failed), so the client keeps its server until it leaves.
     */
    public static final String UNVERIFIED_STATE = "unverified_state";

    /** A pin with no name. */
    public Pin(String reason) {
      this(reason, null);
    }
  }

  /** {@code pg_advisory_unlock(...)} or {@code pg_advisory_unlock_shared(...)}: one call site. */
  record AdvisoryUnlock() implements Effect {}

  /** {@code pg_advisory_unlock_all()}. */
  record AdvisoryUnlockAll() implements Effect {}

  /**
   * {@code DROP TABLE|VIEW|SEQUENCE name}, unqualified or in {@code pg_temp}: if it was a pinned
   * temporary relation, it is gone (one effect per name in the list).
   */
  record DropTable(String name) implements Effect {}

  /** {@code CLOSE name}. */
  record CloseCursor(String name) implements Effect {}

  /** {@code CLOSE ALL}. */
  record CloseAllCursors() implements Effect {}

  /** {@code DEALLOCATE [PREPARE] name}. */
  record Deallocate(String name) implements Effect {}

  /** {@code DEALLOCATE [PREPARE] ALL}. */
  record DeallocateAll() implements Effect {}

  /** {@code LISTEN channel}. */
  record Listen(String channel) implements Effect {}

  /** {@code UNLISTEN channel}. */
  record Unlisten(String channel) implements Effect {}

  /** {@code UNLISTEN *}. */
  record UnlistenAll() implements Effect {}

  /** {@code BEGIN}, {@code START TRANSACTION}; also the new transaction of {@code AND CHAIN}. */
  record Begin() implements Effect {}

  /**
   * {@code COMMIT}, {@code END}, {@code PREPARE TRANSACTION} (which ends the block for this
   * session). A COMMIT of a failed transaction rolls back: the command tag says which.
   */
  record Commit() implements Effect {}

  /** {@code ROLLBACK}, {@code ABORT}. */
  record Rollback() implements Effect {}

  /** {@code SAVEPOINT name}. */
  record Savepoint(String name) implements Effect {}

  /** {@code RELEASE [SAVEPOINT] name}. */
  record ReleaseSavepoint(String name) implements Effect {}

  /** {@code ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name}: the transaction goes on. */
  record RollbackToSavepoint(String name) implements Effect {}
}
