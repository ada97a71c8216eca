package dev.breakwater.server.sql;

import dev.breakwater.server.sql.Token.Kind;
import java.util.List;
import java.util.Set;

/**
 * PostgreSQL 17's keyword categories, and the gram.y rules for names that depend on them: which
 * words may name a setting, a role or a savepoint, and when quote_identifier quotes.
 */
final class Keywords {

  private Keywords() {}

  /** gram.y ColId: an identifier that is not a reserved or type/function-name keyword. */
  static String colId(List<Token> s, int i) {
    if (i >= s.size()) {
      return null;
    }
    Token t = s.get(i);
    if (t.kind() == Kind.QUOTED_IDENTIFIER) {
      return t.text();
    }
    if (t.kind() == Kind.IDENTIFIER && !RESERVED.contains(t.text())
        && !TYPE_FUNC_NAME.contains(t.text())) {
      return t.text();
    }
    return null;
  }

  /** gram.y NonReservedWord_or_Sconst. */
  static String nonReservedWordOrString(List<Token> s, int i) {
    if (i >= s.size()) {
      return null;
    }
    Token t = s.get(i);
    return switch (t.kind()) {
      case STRING, QUOTED_IDENTIFIER -> t.text();
      case IDENTIFIER -> RESERVED.contains(t.text()) ? null : t.text();
      default -> null;
    };
  }


  /**
   * PostgreSQL's quote_identifier: unchanged if it is lower case letters, digits and underscores
   * not starting with a digit and not a keyword other than an unreserved one; else quoted.
   */
  static String quoteIdentifier(String ident) {
    boolean safe = !ident.isEmpty()
        && ((ident.charAt(0) >= 'a' && ident.charAt(0) <= 'z') || ident.charAt(0) == '_');
    for (int i = 0; safe && i < ident.length(); i++) {
      char c = ident.charAt(i);
      safe = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    if (safe && (RESERVED.contains(ident) || COL_NAME.contains(ident)
        || TYPE_FUNC_NAME.contains(ident))) {
      safe = false;
    }
    return safe ? ident : '"' + ident.replace("\"", "\"\"") + '"';
  }

  /** PostgreSQL 17 reserved keywords (pg_get_keywords() catcode R). */
  static final Set<String> RESERVED = Set.of(("all analyse analyze and any array as asc"
      + " asymmetric both case cast check collate column constraint create current_catalog"
      + " current_date current_role current_time current_timestamp current_user default"
      + " deferrable desc distinct do else end except false fetch for foreign from grant group"
      + " having in initially intersect into lateral leading limit localtime localtimestamp not"
      + " null offset on only or order placing primary references returning select session_user"
      + " some symmetric system_user table then to trailing true union unique user using"
      + " variadic when where window with").split(" "));

  /** PostgreSQL 17 column-name keywords (catcode C). */
  private static final Set<String> COL_NAME = Set.of(("between bigint bit boolean char character"
      + " coalesce dec decimal exists extract float greatest grouping inout int integer interval"
      + " json json_array json_arrayagg json_exists json_object json_objectagg json_query"
      + " json_scalar json_serialize json_table json_value least merge_action national nchar"
      + " none normalize nullif numeric out overlay position precision real row setof smallint"
      + " substring time timestamp treat trim values varchar xmlattributes xmlconcat xmlelement"
      + " xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot xmlserialize xmltable")
      .split(" "));

  /** PostgreSQL 17 type/function-name keywords (catcode T). */
  private static final Set<String> TYPE_FUNC_NAME = Set.of(("authorization binary collation"
      + " concurrently cross current_schema freeze full ilike inner is isnull join left like"
      + " natural notnull outer overlaps right similar tablesample verbose").split(" "));
}
