package dev.breakwater.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Reading a POST /sql request as Neon's driver sends it. */
class SqlRequestTest {

  static HttpHeaders headers(String connectionString, String... more) {
    HttpHeaders h = new DefaultHttpHeaders();
    h.set("Neon-Connection-String", connectionString);
    for (int i = 0; i < more.length; i += 2) {
      h.set(more[i], more[i + 1]);
    }
    return h;
  }

  @Test
  void connectionStringIsDecodedAndItsParametersBecomeStartupParameters() {
    SqlRequest r =
        SqlRequest.parse(
            headers("postgresql://us%40er:p%2Fa%3Ass+w%C3%A9@127.0.0.1:6432/my%20db?application_name="
                + "pkg%3Anpm%2F%2540neondatabase%2Fserverless%401.2.0&sslmode=require&options=-c%20search_path%3Dx"),
            "{\"query\":\"SELECT 1\"}");
    assertThat(r.user()).isEqualTo("us@er");
    assertThat(r.password()).isEqualTo("p/a:ss+wé");
    assertThat(r.database()).isEqualTo("my db");
    assertThat(r.startupParameters())
        .containsExactly(
            Map.entry("application_name", "pkg:npm/%40neondatabase/serverless@1.2.0"),
            Map.entry("options", "-c search_path=x"));
    assertThat(r.batch()).isFalse();
    assertThat(r.queries()).containsExactly(new SqlRequest.Query("SELECT 1", List.of(), false));
  }

  @Test
  void parametersAsNeonsProxyMakesThem() {
    SqlRequest r =
        SqlRequest.parse(
            headers("postgres://u:p@h/d", "Neon-Array-Mode", "true"),
            "{\"query\":\"q\",\"params\":[\"s\",null,1.50,true,{\"a\":[1,\"x\"]},[1,null,\"a\\\"b\"],[[1,2],[3,4]]]}");
    assertThat(r.queries().get(0).params())
        .isEqualTo(Arrays.asList("s", null, "1.50", "true", "{\"a\":[1,\"x\"]}", "{\"1\",NULL,\"a\\\"b\"}",
            "{{\"1\",\"2\"},{\"3\",\"4\"}}"));
    assertThat(r.queries().get(0).arrayMode()).isTrue();
  }

  @Test
  void batchHeadersMakeTheBeginAndAreEchoed() {
    SqlRequest r =
        SqlRequest.parse(
            headers("postgres://u:p@h/d", "Neon-Batch-Isolation-Level", "RepeatableRead",
                "Neon-Batch-Read-Only", "true", "Neon-Batch-Deferrable", "false"),
            "{\"queries\":[{\"query\":\"a\"},{\"query\":\"b\",\"arrayMode\":true}]}");
    assertThat(r.batch()).isTrue();
    assertThat(r.beginStatement()).isEqualTo("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    assertThat(r.echoedHeaders())
        .containsExactly(Map.entry("Neon-Batch-Isolation-Level", "RepeatableRead"), Map.entry("Neon-Batch-Read-Only", "true"));
    assertThat(r.queries()).extracting(SqlRequest.Query::arrayMode).containsExactly(false, true);
  }

  @Test
  void badRequests() {
    String ok = "{\"query\":\"SELECT 1\"}";
    assertThatThrownBy(() -> SqlRequest.parse(new DefaultHttpHeaders(), ok)).hasMessage("missing connection string");
    assertThatThrownBy(() -> SqlRequest.parse(headers("mysql://u:p@h/d"), ok)).isInstanceOf(SqlRequest.BadRequest.class);
    assertThatThrownBy(() -> SqlRequest.parse(headers("postgres://u@h/d"), ok)).hasMessageContaining("password");
    assertThatThrownBy(() -> SqlRequest.parse(headers("postgres://u:p@h/"), ok)).hasMessageContaining("database");
    assertThatThrownBy(() -> SqlRequest.parse(headers("postgres://u:p@h/d", "Neon-Batch-Isolation-Level", "Chaos"), ok))
        .hasMessage("invalid isolation level");
    assertThatThrownBy(() -> SqlRequest.parse(headers("postgres://u:p@h/d"), "{\"query\":1}")).hasMessageContaining("query");
    assertThatThrownBy(() -> SqlRequest.parse(headers("postgres://u:p@h/d"), "[" .repeat(100)))
        .isInstanceOf(SqlRequest.BadRequest.class);
    assertThatThrownBy(() -> SqlRequest.parse(headers("postgres://u:p@h/d"), "{\"query\":\"x\"} trailing"))
        .isInstanceOf(SqlRequest.BadRequest.class);
  }
}
