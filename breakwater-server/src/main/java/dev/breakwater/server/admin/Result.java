package dev.breakwater.server.admin;

import dev.breakwater.protocol.BackendMessages;
import dev.breakwater.server.http.Json;
import io.netty.buffer.ByteBuf;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The rows a SHOW command answers: named, typed columns and rows of values. The same result goes
 * to the admin console (RowDescription and DataRows in text format) and to the HTTP API (a JSON
 * array of objects), so both always show the same columns.
 */
public final class Result {

  /** One column: its name as PgBouncer spells it, and its type. */
  public record Column(String name, ColumnType type) {}

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z", Locale.ROOT);

  private final List<Column> columns;
  private final List<List<Object>> rows = new ArrayList<>();

  private Result(List<Column> columns) {
    this.columns = List.copyOf(columns);
  }

  /** A result with these columns, given as name and type pairs. */
  public static Result of(Object... namesAndTypes) {
    if (namesAndTypes.length % 2 != 0) {
      throw new IllegalArgumentException("name and type pairs expected");
    }
    List<Column> cols = new ArrayList<>();
    for (int i = 0; i < namesAndTypes.length; i += 2) {
      cols.add(new Column((String) namesAndTypes[i], (ColumnType) namesAndTypes[i + 1]));
    }
    return new Result(cols);
  }

  /** Adds a row: one value per column; null is SQL NULL, an {@link Instant} is a time. */
  public Result row(Object... values) {
    if (values.length != columns.size()) {
      throw new IllegalArgumentException(
          "row of " + values.length + " values for " + columns.size() + " columns");
    }
    rows.add(Collections.unmodifiableList(Arrays.asList(values.clone())));
    return this;
  }

  public List<Column> columns() {
    return columns;
  }

  public List<String> columnNames() {
    List<String> names = new ArrayList<>();
    for (Column c : columns) {
      names.add(c.name());
    }
    return names;
  }

  public List<List<Object>> rows() {
    return Collections.unmodifiableList(rows);
  }

  /** The value as the console sends it: text, or null. */
  public static String text(Object value) {
    if (value == null) {
      return null;
    }
    if (value instanceof Instant t) {
      return TIME.format(t.atZone(ZoneId.systemDefault()));
    }
    if (value instanceof Boolean b) {
      return b ? "1" : "0";
    }
    return value.toString();
  }

  /** Writes RowDescription and one DataRow per row. */
  public void encode(ByteBuf out) {
    List<Integer> oids = new ArrayList<>();
    List<Integer> sizes = new ArrayList<>();
    for (Column c : columns) {
      oids.add(c.type().oid());
      sizes.add(c.type().size());
    }
    BackendMessages.rowDescription(out, columnNames(), oids, sizes);
    List<String> texts = new ArrayList<>(columns.size());
    for (List<Object> row : rows) {
      texts.clear();
      for (Object v : row) {
        texts.add(text(v));
      }
      BackendMessages.dataRow(out, texts);
    }
  }

  /** The rows as a JSON array of objects keyed by column name; numbers as JSON numbers. */
  public String toJson() {
    Json json = new Json();
    writeJson(json);
    return json.toString();
  }

  /** Appends the rows to a JSON document being written. */
  public void writeJson(Json json) {
    json.beginArray();
    for (List<Object> row : rows) {
      json.beginObject();
      for (int i = 0; i < columns.size(); i++) {
        Column c = columns.get(i);
        Object v = row.get(i);
        json.name(c.name());
        if (v == null) {
          json.nullValue();
        } else if (c.type().numeric() && !(v instanceof Boolean)) {
          json.number(v.toString());
        } else {
          json.value(text(v));
        }
      }
      json.endObject();
    }
    json.endArray();
  }
}
