package dev.breakwater.server.http;

import dev.breakwater.server.fuzz.Fuzz;
import dev.breakwater.server.fuzz.Gen;
import dev.breakwater.testkit.LeakCheck;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The body and headers of POST /sql: JsonParser returns a value or throws JsonException;
 * SqlRequest.parse returns a request or throws BadRequest (a 400), nothing else.
 */
@ExtendWith(LeakCheck.class)
class JsonFuzzTest {

  static final String VALID =
      "{\"query\":\"SELECT $1::int, $2\",\"params\":[1,\"a\",null,true,[1,[\"x\"]],{\"k\":2.5e3}],"
          + "\"arrayMode\":false,\"queries\":[{\"query\":\"select 1\",\"params\":[]}]}";

  @Test
  void anyJsonText() {
    Fuzz.check(3000, json(), text -> {
      try {
        JsonParser.parse(text);
      } catch (JsonParser.JsonException expected) {
        // the documented failure
      }
    });
  }

  @Test
  void mutatedRequests() {
    Fuzz.check(3000, Fuzz.mutated(VALID), connectionStrings(), Gen.booleans(), (body, connectionString, arrayMode) -> {
      // As Netty's decoder hands them on: no control characters in a header value, none around it.
      HttpHeaders h = new DefaultHttpHeaders();
      String cs = connectionString.replaceAll("[\\x00-\\x1f\\x7f]", "").strip();
      if (!cs.isEmpty()) {
        h.set("Neon-Connection-String", cs);
      }
      h.set("Neon-Array-Mode", Boolean.toString(arrayMode));
      h.set("Neon-Batch-Isolation-Level", "Serializable");
      try {
        SqlRequest.parse(h, body);
      } catch (SqlRequest.BadRequest expected) {
        // a 400
      }
    });
  }

  static Gen<String> json() {
    return Gen.oneOf(
        Fuzz.textOf("{", "}", "[", "]", ":", "\"", "\\u00e9", "\\ud800", "\\", "1", "-", "e", "E", "+", ".", "0", "true", "null", "false", "[[[[[[[["),
        Gen.ints(1, 5000).map(n -> "[".repeat(n) + "]".repeat(n)),
        Gen.ints(1, 5000).map(n -> "{\"a\":".repeat(n) + "1" + "}".repeat(n)));
  }

  static Gen<String> connectionStrings() {
    return Fuzz.mutated(Gen.of(
                "postgres://u:p@h/db", "postgresql://us%40r:p%2Fw@host:5432/db?sslmode=require&options=x",
                "postgres://u@h/db").map(s -> s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)))
        .map(b -> new String(b, java.nio.charset.StandardCharsets.ISO_8859_1));
  }
}
