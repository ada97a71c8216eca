package dev.breakwater.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

/**
 * The licence files at the root, and the POM metadata a public Maven repository asks of each
 * published module: breakwater-client's POM, which a function's build reads on its own, gets its
 * licence, URL, SCM and developers from the parent, unchanged.
 */
class LicenceTest {

  static final Path ROOT = Path.of(System.getProperty("breakwater.root", "..")).normalize();

  /** The SHA-256 of https://www.apache.org/licenses/LICENSE-2.0.txt. */
  static final String APACHE_2_SHA256 =
      "cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30";

  @Test
  void licenceIsTheApacheLicenceVerbatim() throws Exception {
    byte[] licence = Files.readAllBytes(ROOT.resolve("LICENSE"));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(licence));
    assertThat(sha).isEqualTo(APACHE_2_SHA256);
    assertThat(Files.readString(ROOT.resolve("NOTICE")))
        .startsWith("Breakwater\n")
        .contains("Apache License, Version 2.0");
  }

  @Test
  void parentDeclaresWhatEveryPublishedModuleInherits() throws Exception {
    Element parent = pom(ROOT.resolve("pom.xml"));
    assertThat(text(parent, "licenses/license/name")).isEqualTo("Apache License, Version 2.0");
    assertThat(text(parent, "licenses/license/url"))
        .isEqualTo("https://www.apache.org/licenses/LICENSE-2.0.txt");
    assertThat(text(parent, "url")).startsWith("https://");
    assertThat(text(parent, "developers/developer/name")).isNotBlank();
    assertThat(text(parent, "scm/connection")).startsWith("scm:git:");
    assertThat(text(parent, "scm/url")).startsWith("https://");
    // Without these, Maven appends "/breakwater-client" to the inherited URLs.
    assertThat(parent.getAttribute("child.project.url.inherit.append.path")).isEqualTo("false");
    Element scm = child(parent, "scm");
    assertThat(scm.getAttribute("child.scm.url.inherit.append.path")).isEqualTo("false");
    assertThat(scm.getAttribute("child.scm.connection.inherit.append.path")).isEqualTo("false");
  }

  @Test
  void publishedModulesInheritAndDescribeThemselves() throws Exception {
    Element parent = pom(ROOT.resolve("pom.xml"));
    for (String module : List.of("breakwater-client", "breakwater-protocol", "breakwater-server")) {
      Element pom = pom(ROOT.resolve(module).resolve("pom.xml"));
      assertThat(text(pom, "parent/artifactId")).as(module).isEqualTo("breakwater-parent");
      assertThat(text(pom, "parent/version")).as(module).isEqualTo(text(parent, "version"));
      assertThat(text(pom, "name")).as(module).isNotBlank();
      assertThat(text(pom, "description")).as(module).isNotBlank();
      for (String inherited : List.of("licenses", "url", "scm", "developers")) {
        assertThat(child(pom, inherited)).as(module + " overrides " + inherited).isNull();
      }
    }
  }

  static Element pom(Path file) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(false);
    Document d = f.newDocumentBuilder().parse(file.toFile());
    return d.getDocumentElement();
  }

  /** The text of the element at a slash-separated path of direct children, or null. */
  static String text(Element e, String path) {
    for (String name : path.split("/")) {
      e = e == null ? null : child(e, name);
    }
    return e == null ? null : e.getTextContent().trim();
  }

  static Element child(Element e, String name) {
    for (var n = e.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element c && c.getTagName().equals(name)) {
        return c;
      }
    }
    return null;
  }
}
