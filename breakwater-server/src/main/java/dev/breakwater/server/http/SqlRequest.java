package dev.breakwater.server.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@code POST /sql} request as Neon's driver sends it: the connection string in {@code
 * Neon-Connection-String}, options in the other {@code Neon-*} headers, and a JSON body holding one
 * query or a batch. Everything wrong with it is a {@link BadRequest}, answered 400.
 */
record SqlRequest(
    String user,
    String password,
    String database,
    Map<String, String> startupParameters,
    List<Query> queries,
    boolean batch,
    boolean rawTextOutput,
    String beginStatement,
    Map<String, String> echoedHeaders) {

  /** One statement and its parameters (null for SQL NULL), in PostgreSQL's text form. */
  record Query(String sql, List<String> params, boolean arrayMode) {}

  /** A request the driver would not send: 400 with this message. */
  static final class BadRequest extends RuntimeException {
    BadRequest(String message) {
      super(message);
    }
  }

  static SqlRequest parse(HttpHeaders headers, String body) {
    String cs = headers.get("Neon-Connection-String");
    if (cs == null || cs.isEmpty()) {
      throw new BadRequest("missing connection string");
    }
    boolean arrayMode = "true".equals(headers.get("Neon-Array-Mode"));
    boolean raw = "true".equals(headers.get("Neon-Raw-Text-Output"));
    // The connection string: postgres[ql]://user:password@host[:port]/database[?parameters].
    String rest;
    String lower = cs.toLowerCase(Locale.ROOT);
    if (lower.startsWith("postgresql://")) {
      rest = cs.substring("postgresql://".length());
    } else if (lower.startsWith("postgres://")) {
      rest = cs.substring("postgres://".length());
    } else {
      throw new BadRequest("connection string must start with postgres:// or postgresql://");
    }
    String query = "";
    int q = rest.indexOf('?');
    if (q >= 0) {
      query = rest.substring(q + 1);
      rest = rest.substring(0, q);
    }
    int slash = rest.indexOf('/', Math.max(0, rest.lastIndexOf('@')));
    String authority = slash < 0 ? rest : rest.substring(0, slash);
    String path = slash < 0 ? "" : rest.substring(slash + 1);
    int at = authority.lastIndexOf('@');
    if (at < 0) {
      throw new BadRequest("connection string is missing user");
    }
    String userInfo = authority.substring(0, at);
    int colon = userInfo.indexOf(':');
    String user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon));
    String password = colon < 0 ? null : decode(userInfo.substring(colon + 1));
    if (user.isEmpty()) {
      throw new BadRequest("connection string is missing user");
    }
    if (password == null) {
      throw new BadRequest("connection string is missing password");
    }
    int end = path.indexOf('/');
    String database = decode(end < 0 ? path : path.substring(0, end));
    if (database.isEmpty()) {
      throw new BadRequest("connection string is missing database name");
    }
    Map<String, String> startup = new LinkedHashMap<>();
    if (!query.isEmpty()) {
      for (String pair : query.split("&")) {
        if (pair.isEmpty()) {
          continue;
        }
        int eq = pair.indexOf('=');
        String name = decode(eq < 0 ? pair : pair.substring(0, eq)).replace('+', ' ');
        String value = eq < 0 ? "" : decodeQuery(pair.substring(eq + 1));
        String n = name.toLowerCase(Locale.ROOT);
        // libpq's connection options that are not startup parameters.
        if (n.equals("sslmode") || n.equals("channel_binding") || n.equals("sslrootcert") || n.equals("connect_timeout")
            || n.equals("sslnegotiation") || n.equals("user") || n.equals("password") || n.equals("dbname")
            || n.equals("host") || n.equals("port") || n.equals("target_session_attrs")) {
          continue;
        }
        startup.put(name, value);
      }
    }

    // Batch options.
    Map<String, String> echoed = new LinkedHashMap<>();
    StringBuilder begin = new StringBuilder("BEGIN");
    String isolation = headers.get("Neon-Batch-Isolation-Level");
    if (isolation != null) {
      String level =
          switch (isolation) {
            case "ReadUncommitted" -> "READ UNCOMMITTED";
            case "ReadCommitted" -> "READ COMMITTED";
            case "RepeatableRead" -> "REPEATABLE READ";
            case "Serializable" -> "SERIALIZABLE";
            default -> throw new BadRequest("invalid isolation level");
          };
      begin.append(" ISOLATION LEVEL ").append(level);
      echoed.put("Neon-Batch-Isolation-Level", isolation);
    }
    String readOnly = headers.get("Neon-Batch-Read-Only");
    if ("true".equals(readOnly)) {
      begin.append(" READ ONLY");
      echoed.put("Neon-Batch-Read-Only", "true");
    }
    String deferrable = headers.get("Neon-Batch-Deferrable");
    if ("true".equals(deferrable)) {
      begin.append(" DEFERRABLE");
      echoed.put("Neon-Batch-Deferrable", "true");
    }

    Object doc;
    try {
      doc = JsonParser.parse(body);
    } catch (JsonParser.JsonException e) {
      throw new BadRequest("could not parse the request body as JSON: " + e.getMessage());
    }
    if (!(doc instanceof Map<?, ?> m)) {
      throw new BadRequest("the request body must be a JSON object");
    }
    List<Query> queries = new ArrayList<>();
    boolean batch;
    if (m.containsKey("queries")) {
      if (!(m.get("queries") instanceof List<?> list)) {
        throw new BadRequest("\"queries\" must be an array");
      }
      batch = true;
      for (Object o : list) {
        if (!(o instanceof Map<?, ?> qm)) {
          throw new BadRequest("each of \"queries\" must be an object");
        }
        queries.add(query(qm, arrayMode));
      }
    } else {
      batch = false;
      queries.add(query(m, arrayMode));
    }
    return new SqlRequest(user, password, database, startup, List.copyOf(queries), batch, raw,
        begin.toString(), batch ? echoed : Map.of());
  }

  private static Query query(Map<?, ?> m, boolean arrayModeDefault) {
    if (!(m.get("query") instanceof String sql)) {
      throw new BadRequest("missing \"query\"");
    }
    List<String> params = new ArrayList<>();
    Object p = m.get("params");
    if (p != null) {
      if (!(p instanceof List<?> list)) {
        throw new BadRequest("\"params\" must be an array");
      }
      for (Object v : list) {
        params.add(v == null ? null : text(v, false));
      }
    }
    boolean arrayMode = m.get("arrayMode") instanceof Boolean b ? b : arrayModeDefault;
    return new Query(sql, params, arrayMode);
  }

  /** A parameter's text as Neon's proxy makes it: strings as they are, arrays as array literals. */
  private static String text(Object v, boolean element) {
    if (v instanceof String s) {
      return element ? quoteElement(s) : s;
    }
    if (v instanceof List<?> list) {
      StringBuilder b = new StringBuilder("{");
      for (int i = 0; i < list.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        Object e = list.get(i);
        b.append(e == null ? "NULL" : e instanceof List<?> ? text(e, false) : quoteElement(element(e)));
      }
      return b.append('}').toString();
    }
    String json = element(v);
    return element ? quoteElement(json) : json;
  }

  private static String element(Object v) {
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Map<?, ?> || v instanceof List<?>) {
      return toJson(v);
    }
    return String.valueOf(v);
  }

  private static String toJson(Object v) {
    Json j = new Json();
    writeJson(j, v);
    return j.toString();
  }

  private static void writeJson(Json j, Object v) {
    if (v == null) {
      j.nullValue();
    } else if (v instanceof String s) {
      j.value(s);
    } else if (v instanceof Boolean b) {
      j.value(b);
    } else if (v instanceof JsonParser.JsonNumber n) {
      j.number(n.text());
    } else if (v instanceof List<?> l) {
      j.beginArray();
      for (Object e : l) {
        writeJson(j, e);
      }
      j.endArray();
    } else if (v instanceof Map<?, ?> m) {
      j.beginObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        j.name(String.valueOf(e.getKey()));
        writeJson(j, e.getValue());
      }
      j.endObject();
    }
  }

  /** An array element double-quoted with backslash escapes, as in PostgreSQL's array input. */
  private static String quoteElement(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\');
      }
      b.append(c);
    }
    return b.append('"').toString();
  }

  private static String decodeQuery(String s) {
    return decode(s.replace('+', ' '));
  }

  /** Percent-decoding as URL user info and paths use it ('+' is itself). */
  static String decode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
        out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
        i += 3;
      } else {
        int cp = s.codePointAt(i);
        byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        i += Character.charCount(cp);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
