package dev.breakwater.server.sql;

import dev.breakwater.server.sql.SqlLexer.Kind;
import dev.breakwater.server.sql.SqlLexer.Token;
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

  /** Words followed by '(' that are not calls: keywords, type modifiers, constructs. */
  private static final Set<String> NOT_CALLS =
      Set.of(
          "in", "exists", "values", "any", "all", "some", "array", "row", "cast", "extract",
          "over", "filter", "within", "coalesce", "nullif", "greatest", "least", "position",
          "substring", "trim", "overlay", "treat", "grouping", "rollup", "cube", "sets", "conflict",
          "check", "key", "unique", "references", "default", "not", "and", "or", "when", "then",
          "else", "case", "where", "select", "returning", "from", "join", "on", "using", "by",
          "as", "set", "with", "lateral", "only", "distinct", "like", "ilike", "similar",
          "between", "is", "tablesample", "include", "partition", "range", "list", "hash", "of",
          "for", "to", "interval", "numeric", "decimal", "dec", "varchar", "char", "character",
          "varying", "nchar", "bit", "float", "time", "timestamp", "precision", "zone", "group",
          "order", "limit", "offset", "fetch", "union", "intersect", "except", "window", "rows",
          "groups", "escape", "collate", "at", "return", "into", "table", "do", "update",
          "insert", "delete", "merge", "matched", "if", "elsif", "while", "loop", "raise",
          "perform", "begin", "end", "exclude", "primary", "foreign", "materialized", "recursive",
          "search", "cycle", "xmlelement", "xmlforest", "xmlattributes", "xmlparse",
          "xmlserialize", "xmlexists", "xmlconcat", "xmlagg", "json", "json_object",
          "json_array", "json_objectagg", "json_arrayagg", "json_value", "json_query",
          "json_exists", "json_scalar", "json_serialize", "json_table", "normalize", "analyze",
          "explain", "vacuum", "copy", "tuple", "generated", "stored", "identity", "owned",
          "inherits", "storage", "compression", "options", "server", "wrapper", "type");

  /** Built-in functions that leave no session state behind, by their unqualified names. */
  private static final Set<String> BUILT_INS =
      Set.of(
          // Followed by StatementClassifier itself: their effects are known.
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

  /** Words after which a name followed by '(' is a relation, an alias or a column list. */
  private static final Set<String> NAME_BEFORE =
      Set.of(
          "into", "table", "references", "index", "view", "only", "as", "with", "update", "type",
          "domain", "sequence", "trigger", "constraint", "extension", "statistics", "policy",
          "publication", "subscription", "aggregate", "operator", "cast", "rule", "collation",
          "conversion", "family", "class", "language", "transform", "server", "mapping",
          "schema", "tablespace", "role", "user", "group", "database", "materialized", "exists",
          "function", "procedure", "routine", "event", "foreign", "partition", "of", "execute",
          "prepare");

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
    if (!qualified && !quoted && NOT_CALLS.contains(name)) {
      return false;
    }
    if ((!qualified || inCatalog) && BUILT_INS.contains(name)) {
      return false;
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
