package dev.breakwater.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md carries tables generated from the setting definitions, between {@code
 * <!-- BEGIN GENERATED: x -->} and {@code <!-- END GENERATED: x -->}. This test fails when they
 * drift; run it with {@code -Dbreakwater.updateDocs=true} to rewrite them.
 */
class ConfigurationDocTest {
  static final String ACTED = "yes";
  static final String NOT_YET = "parsed, not yet acted on";

  @Test
  void generatedTablesMatchTheDefinitions() throws Exception {
    Path doc = RepoFiles.resolve("docs/configuration.md");
    String text = Files.readString(doc, StandardCharsets.UTF_8);
    String expected = text;
    expected = replaceBlock(expected, "pgbouncer", settingsTable());
    expected =
        replaceBlock(expected, "databases", parameterTable(ConfigLoader.databaseParameters()));
    expected = replaceBlock(expected, "users", parameterTable(ConfigLoader.userParameters()));
    expected = replaceBlock(expected, "peers", parameterTable(ConfigLoader.peerParameters()));
    if (Boolean.getBoolean("breakwater.updateDocs") && !expected.equals(text)) {
      Files.writeString(doc, expected, StandardCharsets.UTF_8);
      text = expected;
    }
    assertThat(text)
        .as("docs/configuration.md is out of date; run this test with -Dbreakwater.updateDocs=true")
        .isEqualTo(expected);
  }

  static String settingsTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| setting | type | default | changeable | Breakwater acts on it | meaning |\n");
    sb.append("|---|---|---|---|---|---|\n");
    for (SettingDefinition d : ConfigLoader.definitions()) {
      sb.append("| `").append(d.name()).append("` | ")
          .append(d.type() == SettingDefinition.Type.ENUM ? "enum: " + d.allowed()
              : d.type().docName()).append(" | ")
          .append(d.defaultText().isEmpty() ? "(not set)" : code(d.defaultText())).append(" | ")
          .append(d.reloadable() ? "yes" : "restart").append(" | ")
          .append(d.actedOn() ? ACTED : NOT_YET).append(" | ")
          .append(cell(d.description())).append(" |\n");
    }
    return sb.toString();
  }

  static String parameterTable(List<ParameterDefinition> params) {
    StringBuilder sb = new StringBuilder();
    sb.append("| key | type | when left out | Breakwater acts on it | meaning |\n");
    sb.append("|---|---|---|---|---|\n");
    for (ParameterDefinition p : params) {
      sb.append("| `").append(p.name()).append("` | ")
          .append(p.type().equals("enum") ? "enum: " + p.allowed() : p.type()).append(" | ")
          .append(cell(p.defaultText())).append(" | ")
          .append(p.actedOn() ? ACTED : NOT_YET).append(" | ")
          .append(cell(p.description())).append(" |\n");
    }
    return sb.toString();
  }

  private static String code(String s) {
    return "`" + s.replace("|", "\\|") + "`";
  }

  private static String cell(String s) {
    return s.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String replaceBlock(String text, String name, String body) {
    String begin = "<!-- BEGIN GENERATED: " + name + " -->\n";
    String end = "<!-- END GENERATED: " + name + " -->";
    int b = text.indexOf(begin);
    int e = text.indexOf(end);
    if (b < 0 || e < b) {
      throw new AssertionError("docs/configuration.md lacks the markers for " + name);
    }
    return text.substring(0, b + begin.length()) + body + text.substring(e);
  }
}
