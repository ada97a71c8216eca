package dev.breakwater.server.http;

import dev.breakwater.server.fuzz.Fuzz;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * The body and headers of POST /sql: JsonParser returns a value or throws JsonException;
 * SqlRequest.parse returns a request or throws BadRequest (a 400), nothing else.
 */
@AddLifecycleHook(Fuzz.class)
class JsonFuzzTest {

  static final String VALID =
      "{\"query\":\"SELECT $1::int, $2\",\"params\":[1,\"a\",null,true,[1,[\"x\"]],{\"k\":2.5e3}],"
          + "\"arrayMode\":false,\"queries\":[{\"query\":\"select 1\",\"params\":[]}]}";

  @Property(tries = 3000)
  void anyJsonText(@ForAll("json") String text) {
    try {
      JsonParser.parse(text);
    } catch (JsonParser.JsonException expected) {
      // the documented failure
    }
  }

  @Property(tries = 3000)
  void mutatedRequests(@ForAll("mutatedBody") String body, @ForAll("connectionStrings") String cs, @ForAll boolean arrayMode) {
    // As Netty's decoder hands them on: no control characters in a header value, none around it.
    HttpHeaders h = new DefaultHttpHeaders();
    cs = cs.replaceAll("[\\x00-\\x1f\\x7f]", "").strip();
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
  }

  @Provide
  Arbitrary<String> json() {
    return Arbitraries.oneOf(
        Fuzz.textOf("{", "}", "[", "]", ":", "\"", "\\u00e9", "\\ud800", "\\", "1", "-", "e", "E", "+", ".", "0", "true", "null", "false", "[[[[[[[["),
        Arbitraries.integers().between(1, 5000).map(n -> "[".repeat(n) + "]".repeat(n)),
        Arbitraries.integers().between(1, 5000).map(n -> "{\"a\":".repeat(n) + "1" + "}".repeat(n)));
  }

  @Provide
  Arbitrary<String> mutatedBody() {
    return Fuzz.mutated(Arbitraries.just(VALID.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .map(b -> new String(b, java.nio.charset.StandardCharsets.UTF_8));
  }

  @Provide
  Arbitrary<String> connectionStrings() {
    return Fuzz.mutated(Arbitraries.of(
                "postgres://u:p@h/db", "postgresql://us%40r:p%2Fw@host:5432/db?sslmode=require&options=x",
                "postgres://u@h/db").map(s -> s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)))
        .map(b -> new String(b, java.nio.charset.StandardCharsets.ISO_8859_1));
  }
}
