package dev.breakwater.server.sql;

import dev.breakwater.server.sql.Token.Kind;
import java.util.List;
import java.util.Set;

/**
 * Calls of functions the pooler does not know: a user function (or a procedure, an extension's
 * function) may call {@code set_config}, take an advisory lock or create a temporary table where
 * no SQL scanner can see it. A statement that calls one has {@link Effect.Uncertain} effects, and
 * the pooler reads the server's session state back before it lends the server to anyone else.
 *
 * <p>A call is a name followed by {@code (}, unless the name is a keyword that takes parentheses
 * ({@code IN (}, {@code VALUES (}, {@code numeric(10, 2)}), a built-in function known to leave no
 * session state ({@code count}, {@code now}, unqualified or in pg_catalog), or a name that the
 * word before it makes a relation or an alias ({@code INSERT INTO t (a, b)}, {@code REFERENCES
 * t (id)}, {@code AS x (a, b)}). What is counted too often costs one round trip after the
 * transaction; nothing here may count too rarely.
 */
final class FunctionCalls {

  /**
   * Words followed by '(' that are never calls: PostgreSQL 17's reserved and column-name keywords,
   * which cannot name a function (an unreserved keyword can: {@code search(x)} may be a user's
   * function, so it counts as a call).
   */
  private static final Set<String> NOT_CALLS =
      Set.of(
          // reserved
          "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both",
          "case", "cast", "check", "collate", "column", "constraint", "create", "current_catalog",
          "current_date", "current_role", "current_time", "current_timestamp", "current_user",
          "default", "deferrable", "desc", "distinct", "do", "else", "end", "except", "false",
          "fetch", "for", "foreign", "from", "grant", "group", "having", "in", "initially",
          "intersect", "into", "lateral", "leading", "limit", "localtime", "localtimestamp", "not",
          "null", "offset", "on", "only", "or", "order", "placing", "primary", "references",
          "returning", "select", "session_user", "some", "symmetric", "system_user", "table",
          "then", "to", "trailing", "true", "union", "unique", "user", "using", "variadic", "when",
          "where", "window", "with",
          // column-name keywords
          "between", "bigint", "bit", "boolean", "char", "character", "coalesce", "dec", "decimal",
          "exists", "extract", "float", "greatest", "grouping", "inout", "int", "integer",
          "interval", "json", "json_array", "json_arrayagg", "json_exists", "json_object",
          "json_objectagg", "json_query", "json_scalar", "json_serialize", "json_table",
          "json_value", "least", "merge_action", "national", "nchar", "none", "normalize",
          "numeric", "out", "overlay", "position", "precision", "real", "row", "setof", "smallint",
          "substring", "time", "timestamp", "treat", "trim", "values", "varchar", "xmlattributes",
          "xmlconcat", "xmlelement", "xmlexists", "xmlforest", "xmlnamespaces", "xmlparse",
          "xmlpi", "xmlroot", "xmlserialize", "xmltable");

  /** Built-in functions that leave no session state behind, by their unqualified names. */
  private static final Set<String> BUILT_INS =
      Set.of(
          // Followed by KnownCalls: their effects are known.
          "set_config", "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
          "pg_try_advisory_lock_shared", "pg_advisory_unlock", "pg_advisory_unlock_shared",
          "pg_advisory_unlock_all",
          "count", "sum", "avg", "hashtext", "hashtextextended", "min", "max", "now", "lower", "upper", "length", "char_length",
          "character_length", "octet_length", "bit_length", "substr", "concat", "concat_ws",
          "format", "to_char", "to_date", "to_timestamp", "to_number", "date_trunc", "date_part",
          "date_bin", "age", "abs", "round", "floor", "ceil", "ceiling", "mod", "power", "sqrt",
          "cbrt", "exp", "ln", "log", "log10", "sign", "trunc", "div", "pi", "degrees", "radians",
          "width_bucket", "random", "md5", "sha224", "sha256", "sha384", "sha512", "encode",
          "decode", "replace", "split_part", "regexp_replace", "regexp_match", "regexp_matches",
          "regexp_split_to_array", "regexp_split_to_table", "regexp_like", "regexp_count",
          "regexp_instr", "regexp_substr", "left", "right", "lpad", "rpad", "ltrim", "rtrim",
          "btrim", "strpos", "reverse", "repeat", "initcap", "translate", "chr", "ascii",
          "starts_with", "quote_ident", "quote_literal", "quote_nullable", "to_hex",
          "convert_from", "convert_to", "string_agg", "array_agg", "array_length", "array_upper",
          "array_lower", "array_dims", "array_ndims", "array_to_string", "string_to_array",
          "array_position", "array_positions", "array_append", "array_prepend", "array_cat",
          "array_remove", "array_replace", "array_fill", "cardinality", "unnest",
          "generate_series", "generate_subscripts", "json_build_object", "jsonb_build_object",
          "json_build_array", "jsonb_build_array", "json_agg", "jsonb_agg", "json_object_agg",
          "jsonb_object_agg", "to_json", "to_jsonb", "row_to_json", "array_to_json", "jsonb_set",
          "jsonb_set_lax", "jsonb_insert", "jsonb_array_elements", "json_array_elements",
          "jsonb_array_elements_text", "json_array_elements_text", "jsonb_each", "json_each",
          "jsonb_each_text", "json_each_text", "jsonb_array_length", "json_array_length",
          "jsonb_typeof", "json_typeof", "jsonb_strip_nulls", "json_strip_nulls",
          "jsonb_path_query", "jsonb_path_query_first", "jsonb_path_query_array",
          "jsonb_path_exists", "jsonb_path_match", "jsonb_pretty", "jsonb_object_keys",
          "json_object_keys", "json_extract_path", "json_extract_path_text",
          "jsonb_extract_path", "jsonb_extract_path_text", "json_populate_record",
          "jsonb_populate_record", "json_populate_recordset", "jsonb_populate_recordset",
          "json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset",
          "bool_and", "bool_or", "every", "bit_and", "bit_or", "bit_xor", "row_number", "rank",
          "dense_rank", "percent_rank", "cume_dist", "ntile", "lag", "lead", "first_value",
          "last_value", "nth_value", "percentile_cont", "percentile_disc", "mode", "stddev",
          "stddev_pop", "stddev_samp", "variance", "var_pop", "var_samp", "corr", "covar_pop",
          "covar_samp", "nextval", "currval", "lastval", "setval", "pg_sleep", "pg_sleep_for",
          "pg_backend_pid", "current_setting", "version", "gen_random_uuid", "uuidv4", "uuidv7",
          "txid_current", "txid_current_if_assigned", "pg_current_xact_id",
          "pg_current_xact_id_if_assigned", "pg_notify", "pg_typeof", "to_regclass",
          "to_regtype", "to_regproc", "pg_table_is_visible", "has_table_privilege",
          "has_schema_privilege", "has_database_privilege", "has_column_privilege",
          "has_function_privilege", "pg_has_role", "pg_advisory_xact_lock",
          "pg_advisory_xact_lock_shared", "pg_try_advisory_xact_lock",
          "pg_try_advisory_xact_lock_shared", "make_interval", "make_date", "make_time",
          "make_timestamp", "make_timestamptz", "clock_timestamp", "statement_timestamp",
          "transaction_timestamp", "timeofday", "justify_days", "justify_hours",
          "justify_interval", "isfinite", "pg_column_size", "pg_relation_size",
          "pg_total_relation_size", "pg_table_size", "pg_indexes_size", "pg_size_pretty",
          "pg_database_size", "pg_get_serial_sequence", "obj_description", "col_description",
          "shobj_description", "format_type", "pg_get_expr", "pg_get_indexdef",
          "pg_get_constraintdef", "pg_get_viewdef", "pg_get_functiondef", "pg_get_userbyid",
          "pg_get_triggerdef", "pg_get_ruledef", "pg_encoding_to_char", "pg_char_to_encoding",
          "current_schema", "current_schemas", "current_database", "pg_postmaster_start_time",
          "pg_conf_load_time", "pg_is_in_recovery", "pg_xact_commit_timestamp",
          "pg_current_wal_lsn", "pg_last_wal_replay_lsn", "pg_wal_lsn_diff", "num_nonnulls",
          "num_nulls", "int2", "int4", "int8", "text", "float4", "float8", "bool", "date",
          "int4range", "int8range", "numrange", "tsrange", "tstzrange", "daterange",
          "lower_inf", "upper_inf", "isempty", "range_merge", "multirange", "to_tsvector",
          "to_tsquery", "plainto_tsquery", "phraseto_tsquery", "websearch_to_tsquery",
          "ts_rank", "ts_rank_cd", "ts_headline", "setweight", "strip", "numnode", "querytree",
          "host", "masklen", "network", "netmask", "broadcast", "inet", "cidr", "family",
          "inet_client_addr", "inet_server_addr", "pg_blocking_pids", "pg_safe_snapshot_blocking_pids",
          "pg_stat_get_activity", "pg_cancel_backend", "pg_terminate_backend",
          "pg_input_is_valid", "pg_input_error_info", "pg_my_temp_schema",
          "pg_is_other_temp_schema", "pg_listening_channels", "pg_trigger_depth", "current_query",
          "inet_server_port", "inet_client_port", "pg_jit_available", "pg_get_keywords", "unistr", "any_value", "trim_array",
          "array_sample", "array_shuffle", "random_normal", "gcd", "lcm", "factorial", "scale",
          "min_scale", "trim_scale", "atan", "atan2", "sin", "cos", "tan", "asin", "acos", "cot",
          "sinh", "cosh", "tanh", "overlaps", "point", "box", "circle", "polygon", "area",
          "center", "diameter", "radius", "st_astext", "st_geomfromtext", "st_distance",
          "st_makepoint", "st_setsrid", "st_contains", "st_intersects", "st_dwithin");

  /** Words that start a subquery, never a function's argument. */
  private static final Set<String> SUBQUERY = Set.of("select", "with", "values", "table");

  /** Words after which a name followed by '(' is a relation, an alias or a column list. */
  private static final Set<String> NAME_BEFORE =
      Set.of(
          "into", "table", "references", "index", "view", "only", "as", "with", "update", "type",
          "domain", "sequence", "trigger", "constraint", "extension", "statistics", "policy",
          "publication", "subscription", "aggregate", "operator", "cast", "rule", "collation",
          "conversion", "family", "class", "language", "transform", "server", "mapping",
          "schema", "tablespace", "role", "user", "group", "database", "materialized", "exists",
          "function", "procedure", "routine", "event", "foreign", "partition", "of", "execute",
          "prepare", "primary");

  private FunctionCalls() {}

  /** Whether {@code s[from, to)} calls a function not known to leave no session state. */
  static boolean unknownCall(List<Token> s, int from, int to) {
    for (int i = from; i < to - 1; i++) {
      Token t = s.get(i);
      if (!t.isIdentifier() || !s.get(i + 1).isOperator("(")) {
        continue;
      }
      if (isCall(s, from, i)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the name at {@code i}, followed by '(', calls something unknown. */
  private static boolean isCall(List<Token> s, int from, int i) {
    Token t = s.get(i);
    String name = t.text();
    boolean quoted = t.kind() == Kind.QUOTED_IDENTIFIER;
    // The qualified name's first part and the word before it.
    int first = i;
    while (first - 2 >= from && s.get(first - 1).isOperator(".") && s.get(first - 2).isIdentifier()) {
      first -= 2;
    }
    boolean qualified = first != i;
    boolean inCatalog = qualified && first == i - 2 && s.get(first).text().equals("pg_catalog");
    int before = first - 1;
    if (before >= from && s.get(before).kind() == Kind.IDENTIFIER
        && NAME_BEFORE.contains(s.get(before).text())) {
      return false;
    }
    if (before >= from && s.get(before).isOperator(")")) {
      return false; // f(x) OVER (...), f(x) FILTER (...), f(x) t(a, b): no call follows ')'
    }
    if (i + 2 < s.size() && s.get(i + 2).kind() == Kind.IDENTIFIER
        && SUBQUERY.contains(s.get(i + 2).text())) {
      return false; // name (SELECT ...): a subquery, no argument starts so
    }
    if (!qualified && !quoted && name.equals("conflict") && before >= from && s.get(before).isWord("on")
        && followedByDo(s, i + 1)) {
      return false; // INSERT ... ON CONFLICT (a) DO ...
    }
    if (!qualified && !quoted && NOT_CALLS.contains(name)) {
      return false;
    }
    if ((!qualified || inCatalog) && BUILT_INS.contains(name)) {
      return false;
    }
    return true;
  }

  /** Whether the parenthesis at {@code open} closes right before the word DO. */
  private static boolean followedByDo(List<Token> s, int open) {
    int depth = 0;
    for (int k = open; k < s.size(); k++) {
      if (s.get(k).isOperator("(")) {
        depth++;
      } else if (s.get(k).isOperator(")") && --depth == 0) {
        return k + 1 < s.size() && s.get(k + 1).isWord("do");
      }
    }
    return false;
  }

  /** {@link #followedByDo(List, int)} over bytes, for the pre-check. */
  static boolean followedByDo(byte[] utf8, int open, int end) {
    int depth = 0;
    for (int k = open; k < end; k++) {
      if (utf8[k] == '(') {
        depth++;
      } else if (utf8[k] == ')' && --depth == 0) {
        int j = k + 1;
        while (j < end && (utf8[j] == ' ' || utf8[j] == '\t' || utf8[j] == '\n' || utf8[j] == '\r')) {
          j++;
        }
        return j + 1 < end && (utf8[j] | 0x20) == 'd' && (utf8[j + 1] | 0x20) == 'o'
            && (j + 2 == end || !SqlLexer.isIdentCont((char) (utf8[j + 2] & 0xFF)));
      }
    }
    return false;
  }

  /** Whether the word at {@code start} (length {@code len}) is {@code lower}, in any case. */
  static boolean isWord(byte[] utf8, int start, int len, String lower) {
    if (len != lower.length()) {
      return false;
    }
    for (int k = 0; k < len; k++) {
      if (lower(utf8[start + k] & 0xFF) != lower.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  // ---- The allocation-free pre-check over a query's bytes ----

  /**
   * Whether the word {@code utf8[start, start+len)}, followed by '(' , might call something
   * unknown. {@code before} and {@code beforeLen} are the word before its qualified name (len 0
   * if none); {@code qualified} says whether a '.' precedes the word.
   */
  static boolean mightCall(byte[] utf8, int start, int len, int before, int beforeLen, boolean qualified) {
    if (beforeLen > 0 && beforeLen <= 13 && contains(NAME_BEFORE_TABLE, utf8, before, beforeLen)) {
      return false;
    }
    if (len > 40) {
      return true;
    }
    if (!qualified && contains(NOT_CALLS_TABLE, utf8, start, len)) {
      return false;
    }
    return !contains(BUILT_INS_TABLE, utf8, start, len) || (qualified && !catalogQualified(utf8, start));
  }

  /** Whether the word at {@code start} is preceded by {@code pg_catalog.}. */
  private static boolean catalogQualified(byte[] utf8, int start) {
    int dot = start - 1;
    int from = dot - "pg_catalog".length();
    if (from < 0 || utf8[dot] != '.') {
      return false;
    }
    if (from > 0 && SqlLexer.isIdentCont((char) (utf8[from - 1] & 0xFF))) {
      return false;
    }
    for (int k = 0; k < "pg_catalog".length(); k++) {
      int c = utf8[from + k];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != "pg_catalog".charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Whether the ASCII word at {@code utf8[start, start+len)}, in any case, is in {@code words}. */
  private static boolean contains(Table words, byte[] utf8, int start, int len) {
    int hash = 0;
    for (int k = 0; k < len; k++) {
      int c = utf8[start + k] & 0xFF;
      if (c >= 0x80) {
        return false;
      }
      hash = 31 * hash + lower(c);
    }
    for (int slot = hash & words.mask; ; slot = (slot + 1) & words.mask) {
      String w = words.words[slot];
      if (w == null) {
        return false;
      }
      if (words.hashes[slot] == hash && w.length() == len && same(w, utf8, start)) {
        return true;
      }
    }
  }

  private static int lower(int c) {
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
  }

  private static boolean same(String w, byte[] utf8, int start) {
    for (int k = 0; k < w.length(); k++) {
      if (w.charAt(k) != lower(utf8[start + k] & 0xFF)) {
        return false;
      }
    }
    return true;
  }

  /** An open-addressed set of lower-case ASCII words, looked up in place in a byte array. */
  private static final class Table {
    final String[] words;
    final int[] hashes;
    final int mask;

    Table(Set<String> of) {
      int size = Integer.highestOneBit(of.size() * 4);
      words = new String[size];
      hashes = new int[size];
      mask = size - 1;
      for (String w : of) {
        int h = w.hashCode();
        int slot = h & mask;
        while (words[slot] != null) {
          slot = (slot + 1) & mask;
        }
        words[slot] = w;
        hashes[slot] = h;
      }
    }
  }

  private static final Table NOT_CALLS_TABLE = new Table(NOT_CALLS);
  private static final Table BUILT_INS_TABLE = new Table(BUILT_INS);
  private static final Table NAME_BEFORE_TABLE = new Table(NAME_BEFORE);
}
