package dev.breakwater.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The hand-written JSON: commas, nesting, escaping, numbers that JSON cannot hold. */
class JsonTest {

  @Test
  void nestedDocument() {
    String s =
        new Json().beginObject()
            .field("a", 1)
            .name("b").beginArray().value("x").value(true).nullValue().beginObject().endObject().endArray()
            .field("c", 1.5)
            .field("d", Double.NaN)
            .name("e").raw("[1,2]")
            .endObject()
            .toString();
    assertThat(s).isEqualTo("{\"a\":1,\"b\":[\"x\",true,null,{}],\"c\":1.5,\"d\":null,\"e\":[1,2]}");
  }

  @Test
  void escapes() {
    assertThat(new Json().value("q\"\\\n\t\u0001</script>").toString())
        .isEqualTo("\"q\\\"\\\\\\n\\t\\u0001\\u003c/script\\u003e\"");
  }
}
