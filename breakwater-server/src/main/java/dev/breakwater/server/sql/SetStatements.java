package dev.breakwater.server.sql;

import static dev.breakwater.server.sql.Keywords.RESERVED;
import static dev.breakwater.server.sql.Keywords.colId;
import static dev.breakwater.server.sql.Keywords.nonReservedWordOrString;
import static dev.breakwater.server.sql.Keywords.quoteIdentifier;
import static dev.breakwater.server.sql.Tokens.kind;
import static dev.breakwater.server.sql.Tokens.operator;
import static dev.breakwater.server.sql.Tokens.word;

import dev.breakwater.server.sql.Effect.Pin;
import dev.breakwater.server.sql.Effect.ResetAll;
import dev.breakwater.server.sql.Effect.ResetSetting;
import dev.breakwater.server.sql.Effect.SetSession;
import dev.breakwater.server.sql.Token.Kind;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Reads {@code SET} and {@code RESET} as gram.y does (set_rest, var_name, var_value) into the
 * settings a session keeps, rendering each value as PostgreSQL would hold it, so that it can be
 * replayed on another server. A SET that does not parse pins the client to its server.
 */
final class SetStatements {

  private SetStatements() {}

  static void classifySet(List<Token> s, List<Effect> out) {
    int i = 1;
    if (word(s, i, "local") && !isAssign(s, i + 1)) {
      return; // SET LOCAL: gone at the end of the transaction
    }
    if (word(s, i, "session") && !isAssign(s, i + 1)) {
      if (word(s, i + 1, "characteristics")) {
        sessionCharacteristics(s, i + 2, out);
        return;
      }
      if (!word(s, i + 1, "authorization")) {
        i++; // SET SESSION name ...: the default scope
      }
    }
    List<Effect> effects = new ArrayList<>();
    if (setRest(s, i, effects)) {
      out.addAll(effects);
    } else {
      out.add(new Pin(Pin.UNRECOGNIZED_SET));
    }
  }

  /** gram.y set_rest after SET [SESSION]; false if it does not parse. */
  private static boolean setRest(List<Token> s, int i, List<Effect> out) {
    if (word(s, i, "transaction") && !isAssign(s, i + 1)) {
      return true; // SET TRANSACTION ... / SET TRANSACTION SNAPSHOT: this transaction only
    }
    if (i == 1 && word(s, i, "constraints") && !isAssign(s, i + 1)) {
      return true; // SET CONSTRAINTS: this transaction only
    }
    if (word(s, i, "time") && word(s, i + 1, "zone")) {
      return timeZone(s, i + 2, out);
    }
    if (word(s, i, "names") && !isAssign(s, i + 1)) {
      // SET NAMES [ 'encoding' | DEFAULT ]
      if (s.size() == i + 1 || (word(s, i + 1, "default") && s.size() == i + 2)) {
        reset("client_encoding", out);
        return true;
      }
      if (kind(s, i + 1, Kind.STRING) && s.size() == i + 2) {
        set("client_encoding", s.get(i + 1).text(), out);
        return true;
      }
      return false;
    }
    if (word(s, i, "schema") && !isAssign(s, i + 1)) {
      if (kind(s, i + 1, Kind.STRING) && s.size() == i + 2) {
        set("search_path", quoteIdentifier(s.get(i + 1).text()), out);
        return true;
      }
      return false;
    }
    if (word(s, i, "catalog") && !isAssign(s, i + 1)) {
      return true; // always an error: "current database cannot be changed"
    }
    if (word(s, i, "role") && !isAssign(s, i + 1)) {
      String role = nonReservedWordOrString(s, i + 1);
      if (role == null || s.size() != i + 2) {
        return false;
      }
      set("role", role, out);
      return true;
    }
    if (word(s, i, "session") && word(s, i + 1, "authorization")) {
      if (word(s, i + 2, "default") && s.size() == i + 3) {
        reset("session_authorization", out);
        return true;
      }
      String user = nonReservedWordOrString(s, i + 2);
      if (user == null || s.size() != i + 3) {
        return false;
      }
      set("session_authorization", user, out);
      return true;
    }
    if (word(s, i, "xml") && word(s, i + 1, "option")) {
      if ((word(s, i + 2, "document") || word(s, i + 2, "content")) && s.size() == i + 3) {
        set("xmloption", s.get(i + 2).text().toUpperCase(Locale.ROOT), out);
        return true;
      }
      return false;
    }
    return genericSet(s, i, out);
  }

  /** {@code name TO|= value [, ...]}, {@code name TO|= DEFAULT}, {@code name FROM CURRENT}. */
  private static boolean genericSet(List<Token> s, int i, List<Effect> out) {
    StringBuilder name = new StringBuilder();
    i = varName(s, i, name);
    if (i < 0) {
      return false;
    }
    String setting = name.toString();
    if (word(s, i, "from") && word(s, i + 1, "current") && s.size() == i + 2) {
      return true; // keeps the current value
    }
    if (!isAssign(s, i)) {
      return false;
    }
    i++;
    if (word(s, i, "default") && s.size() == i + 1) {
      reset(setting, out);
      return true;
    }
    boolean quote = LIST_QUOTE_SETTINGS.contains(setting);
    StringBuilder value = new StringBuilder();
    for (boolean first = true; ; first = false) {
      if (!first) {
        value.append(", ");
      }
      int next = value(s, i, quote, value);
      if (next < 0) {
        return false;
      }
      if (next == s.size()) {
        break;
      }
      if (!operator(s, next, ",")) {
        return false;
      }
      i = next + 1;
    }
    set(setting, value.toString(), out);
    return true;
  }

  /**
   * gram.y var_value, rendered as flatten_set_variable_args does: numbers as the parser holds
   * them, words and strings as they are or, for list-of-names settings, through quote_identifier.
   * Returns the index after the value, or -1.
   */
  private static int value(List<Token> s, int i, boolean quote, StringBuilder out) {
    if (i >= s.size()) {
      return -1;
    }
    Token t = s.get(i);
    if (t.isOperator("-") || t.isOperator("+")) {
      if (!kind(s, i + 1, Kind.NUMBER)) {
        return -1;
      }
      out.append(renderNumber(s.get(i + 1).text(), t.isOperator("-")));
      return i + 2;
    }
    String text;
    switch (t.kind()) {
      case NUMBER -> {
        out.append(renderNumber(t.text(), false));
        return i + 1;
      }
      case STRING, QUOTED_IDENTIFIER -> text = t.text();
      case IDENTIFIER -> {
        text = t.text();
        // Of the reserved words, only TRUE, FALSE and ON are values (as strings).
        if (RESERVED.contains(text) && !text.equals("true") && !text.equals("false")
            && !text.equals("on")) {
          return -1;
        }
      }
      default -> {
        return -1;
      }
    }
    out.append(quote ? quoteIdentifier(text) : text);
    return i + 1;
  }

  /**
   * A number as flatten_set_variable_args prints it: an integer that fits in 32 bits as its
   * decimal value (so {@code 0x10} is 16 and {@code 1_000} is 1000), anything else as written.
   */
  static String renderNumber(String text, boolean negative) {
    String digits = text.replace("_", "");
    int radix = 10;
    if (digits.length() > 2 && digits.charAt(0) == '0') {
      switch (digits.charAt(1)) {
        case 'x', 'X' -> radix = 16;
        case 'o', 'O' -> radix = 8;
        case 'b', 'B' -> radix = 2;
        default -> {
        }
      }
      if (radix != 10) {
        digits = digits.substring(2);
      }
    }
    try {
      long v = Long.parseLong(digits, radix);
      if (v <= Integer.MAX_VALUE) {
        return Long.toString(negative ? -v : v);
      }
    } catch (NumberFormatException e) {
      // a decimal, a real, or too big for an integer: kept as written
    }
    return negative ? "-" + text : text;
  }

  /** {@code SET TIME ZONE zone_value}. */
  private static boolean timeZone(List<Token> s, int i, List<Effect> out) {
    if ((word(s, i, "local") || word(s, i, "default")) && s.size() == i + 1) {
      reset("timezone", out);
      return true;
    }
    if (word(s, i, "interval")) {
      return false; // rendered through interval_out and IntervalStyle: not followed
    }
    if (kind(s, i, Kind.STRING) || kind(s, i, Kind.IDENTIFIER)
        || kind(s, i, Kind.QUOTED_IDENTIFIER)) {
      if (s.size() != i + 1 || RESERVED.contains(s.get(i).text()) && kind(s, i, Kind.IDENTIFIER)) {
        return false;
      }
      set("timezone", s.get(i).text(), out);
      return true;
    }
    StringBuilder value = new StringBuilder();
    int next = value(s, i, false, value);
    if (next != s.size() || !(kind(s, i, Kind.NUMBER) || kind(s, i + 1, Kind.NUMBER))) {
      return false;
    }
    set("timezone", value.toString(), out);
    return true;
  }

  /** {@code SET SESSION CHARACTERISTICS AS TRANSACTION mode [, ...]}, from after the keyword. */
  private static void sessionCharacteristics(List<Token> s, int i, List<Effect> out) {
    List<Effect> effects = new ArrayList<>();
    boolean ok = word(s, i, "as") && word(s, i + 1, "transaction") && s.size() > i + 2;
    i += 2;
    while (ok && i < s.size()) {
      if (operator(s, i, ",") && i + 1 < s.size()) {
        i++;
      }
      if (word(s, i, "isolation") && word(s, i + 1, "level")) {
        String level = null;
        if (word(s, i + 2, "serializable")) {
          level = "serializable";
          i += 3;
        } else if (word(s, i + 2, "repeatable") && word(s, i + 3, "read")) {
          level = "repeatable read";
          i += 4;
        } else if (word(s, i + 2, "read")
            && (word(s, i + 3, "committed") || word(s, i + 3, "uncommitted"))) {
          level = "read " + s.get(i + 3).text();
          i += 4;
        }
        ok = level != null;
        if (ok) {
          effects.add(new SetSession("default_transaction_isolation", level));
        }
      } else if (word(s, i, "read") && (word(s, i + 1, "only") || word(s, i + 1, "write"))) {
        effects.add(new SetSession("default_transaction_read_only",
            word(s, i + 1, "only") ? "on" : "off"));
        i += 2;
      } else if (word(s, i, "deferrable")) {
        effects.add(new SetSession("default_transaction_deferrable", "on"));
        i++;
      } else if (word(s, i, "not") && word(s, i + 1, "deferrable")) {
        effects.add(new SetSession("default_transaction_deferrable", "off"));
        i += 2;
      } else {
        ok = false;
      }
    }
    if (ok) {
      out.addAll(effects);
    } else {
      out.add(new Pin(Pin.UNRECOGNIZED_SET));
    }
  }

  static void classifyReset(List<Token> s, List<Effect> out) {
    if (word(s, 1, "all") && s.size() == 2) {
      out.add(new ResetAll());
    } else if (word(s, 1, "time") && word(s, 2, "zone") && s.size() == 3) {
      reset("timezone", out);
    } else if (word(s, 1, "transaction") && word(s, 2, "isolation") && word(s, 3, "level")
        && s.size() == 4) {
      // transaction-scoped: nothing to follow
    } else if (word(s, 1, "session") && word(s, 2, "authorization") && s.size() == 3) {
      reset("session_authorization", out);
    } else {
      StringBuilder name = new StringBuilder();
      int next = varName(s, 1, name);
      if (next == s.size()) {
        reset(name.toString(), out);
      } else {
        out.add(new Pin(Pin.UNRECOGNIZED_SET));
      }
    }
  }

  /** gram.y var_name: ColId ['.' ColId ...], lower-cased. Returns the next index or -1. */
  private static int varName(List<Token> s, int i, StringBuilder name) {
    String part = colId(s, i);
    if (part == null) {
      return -1;
    }
    name.append(lowerAscii(part));
    i++;
    while (operator(s, i, ".")) {
      part = colId(s, i + 1);
      if (part == null) {
        return -1;
      }
      name.append('.').append(lowerAscii(part));
      i += 2;
    }
    return i;
  }

  /** A setting changed for the session, unless it is one that cannot be, or need not be, kept. */
  static void set(String name, String value, List<Effect> out) {
    switch (name) {
      case "role", "session_authorization" -> {
        if (name.equals("role") && value.equals("none")) {
          out.add(new ResetSetting(name)); // SET ROLE NONE: back to the session user
        } else {
          out.add(new Pin(Pin.SET_ROLE, value));
        }
      }
      case "transaction_isolation", "transaction_read_only", "transaction_deferrable",
          "transaction_snapshot" -> {
        // this transaction only
      }
      default -> out.add(new SetSession(name, value));
    }
  }

  static void reset(String name, List<Effect> out) {
    switch (name) {
      case "transaction_isolation", "transaction_read_only", "transaction_deferrable",
          "transaction_snapshot" -> {
        // this transaction only
      }
      default -> out.add(new ResetSetting(name));
    }
  }

  private static boolean isAssign(List<Token> s, int i) {
    return operator(s, i, "=") || word(s, i, "to");
  }

  static String lowerAscii(String s) {
    return SqlLexer.foldCase(s, 0, s.length());
  }

  /** Settings flagged GUC_LIST_QUOTE in PostgreSQL 17: SET quotes their elements. */
  private static final Set<String> LIST_QUOTE_SETTINGS = Set.of("search_path", "temp_tablespaces",
      "local_preload_libraries", "session_preload_libraries", "shared_preload_libraries");
}
