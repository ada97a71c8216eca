package dev.breakwater.server.sql;

import static dev.breakwater.server.sql.SetStatements.lowerAscii;
import static dev.breakwater.server.sql.SetStatements.reset;
import static dev.breakwater.server.sql.SetStatements.set;
import static dev.breakwater.server.sql.Tokens.kind;
import static dev.breakwater.server.sql.Tokens.operator;
import static dev.breakwater.server.sql.Tokens.word;

import dev.breakwater.server.sql.Effect.AdvisoryUnlock;
import dev.breakwater.server.sql.Effect.AdvisoryUnlockAll;
import dev.breakwater.server.sql.Effect.Pin;
import dev.breakwater.server.sql.Token.Kind;
import java.util.List;

/**
 * Calls of the built-in functions whose effects are followed: the advisory locks (a lock pins,
 * an unlock may release the pin) and {@code set_config} (a SET when its arguments are literals,
 * a pin when they are computed). Calls of other functions are {@link FunctionCalls}' concern.
 */
final class KnownCalls {

  private KnownCalls() {}

  private enum Call { LOCK, UNLOCK, UNLOCK_ALL, SET_CONFIG }

  private static Call call(String name) {
    return switch (name) {
      case "pg_advisory_lock", "pg_advisory_lock_shared", "pg_try_advisory_lock",
          "pg_try_advisory_lock_shared" -> Call.LOCK;
      case "pg_advisory_unlock", "pg_advisory_unlock_shared" -> Call.UNLOCK;
      case "pg_advisory_unlock_all" -> Call.UNLOCK_ALL;
      case "set_config" -> Call.SET_CONFIG;
      default -> null;
    };
  }

  /**
   * Finds calls of interest in {@code s[from, to)}: a (possibly quoted) function name, unqualified
   * or in pg_catalog, followed by {@code (}, and not the object of {@code FUNCTION}, as in
   * {@code DROP FUNCTION}. With {@code pinsOnly}, for code that may run any number of times or
   * not at all, only pins are reported.
   */
  static void scanCalls(List<Token> s, int from, int to, List<Effect> out,
      boolean pinsOnly) {
    for (int i = from; i < to; i++) {
      Token t = s.get(i);
      if (!t.isIdentifier() || !t.text().contains("_")) {
        continue;
      }
      Call call = call(t.text());
      if (call == null || !operator(s, i + 1, "(")) {
        continue;
      }
      int before = i - 1;
      if (before >= 0 && s.get(before).isOperator(".")) {
        if (before < 1 || !s.get(before - 1).isIdentifier()
            || !s.get(before - 1).text().equals("pg_catalog")) {
          continue; // some other schema's function of the same name
        }
        before -= 2;
      }
      if (before >= 0 && (s.get(before).isWord("function") || s.get(before).isWord("procedure")
          || s.get(before).isWord("routine"))) {
        continue;
      }
      switch (call) {
        case LOCK -> out.add(new Pin(Pin.ADVISORY_LOCK));
        case UNLOCK -> {
          if (!pinsOnly) {
            out.add(new AdvisoryUnlock());
          }
        }
        case UNLOCK_ALL -> {
          if (!pinsOnly) {
            out.add(new AdvisoryUnlockAll());
          }
        }
        case SET_CONFIG -> setConfig(s, i + 2, out, pinsOnly);
      }
    }
  }

  /** A literal argument: its value (null for NULL) and the index after it. */
  private record Literal(String value, int next) {}

  /** {@code set_config(name, value, is_local)} with arguments starting at {@code i}. */
  private static void setConfig(List<Token> s, int i, List<Effect> out, boolean pinsOnly) {
    Literal name = textLiteral(s, i);
    Literal value = name == null || !operator(s, name.next(), ",")
        ? null : textLiteral(s, name.next() + 1);
    Boolean local = value == null || !operator(s, value.next(), ",")
        ? null : booleanLiteral(s, value.next() + 1);
    if (name == null || name.value() == null || value == null || local == null) {
      out.add(new Pin(Pin.SET_CONFIG_COMPUTED));
      return;
    }
    if (local) {
      return; // like SET LOCAL: gone at the end of the transaction
    }
    if (pinsOnly) {
      out.add(new Pin(Pin.SET_CONFIG_COMPUTED));
      return;
    }
    String setting = lowerAscii(name.value());
    if (value.value() == null) {
      reset(setting, out); // a NULL value resets
    } else {
      set(setting, value.value(), out);
    }
  }

  /** A string literal or NULL, optionally cast to a text type. */
  private static Literal textLiteral(List<Token> s, int i) {
    String value;
    if (kind(s, i, Kind.STRING)) {
      value = s.get(i).text();
    } else if (word(s, i, "null")) {
      value = null;
    } else {
      return null;
    }
    i++;
    while (operator(s, i, "::")) {
      i++;
      if (word(s, i, "pg_catalog") && operator(s, i + 1, ".")) {
        i += 2;
      }
      if (word(s, i, "text") || word(s, i, "varchar")) {
        i++;
      } else if (word(s, i, "character") && word(s, i + 1, "varying")) {
        i += 2;
      } else {
        return null;
      }
    }
    return isArgumentEnd(s, i) ? new Literal(value, i) : null;
  }

  /** A boolean literal (TRUE, FALSE, NULL or a string boolin accepts), followed by ')'. */
  private static Boolean booleanLiteral(List<Token> s, int i) {
    Boolean value;
    if (word(s, i, "true")) {
      value = true;
    } else if (word(s, i, "false") || word(s, i, "null")) {
      value = false; // a NULL is_local means false
    } else if (kind(s, i, Kind.STRING)) {
      value = parseBool(s.get(i).text());
    } else {
      return null;
    }
    i++;
    while (operator(s, i, "::")) {
      i++;
      if (word(s, i, "pg_catalog") && operator(s, i + 1, ".")) {
        i += 2;
      }
      if (!(word(s, i, "bool") || word(s, i, "boolean"))) {
        return null;
      }
      i++;
    }
    return operator(s, i, ")") ? value : null;
  }

  private static boolean isArgumentEnd(List<Token> s, int i) {
    return operator(s, i, ",") || operator(s, i, ")");
  }

  /** PostgreSQL's parse_bool: true, false, yes, no (any unique prefix), on, off, 1, 0. */
  static Boolean parseBool(String text) {
    String v = lowerAscii(text.strip());
    if (v.isEmpty()) {
      return null;
    }
    if ("true".startsWith(v) || "yes".startsWith(v) || v.equals("on") || v.equals("1")) {
      return true;
    }
    if ("false".startsWith(v) || "no".startsWith(v) || v.equals("off") || v.equals("of")
        || v.equals("0")) {
      return false;
    }
    return null;
  }
}
