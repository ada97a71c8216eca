package dev.breakwater.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * deploy/kubernetes/breakwater.yaml, checked for structure (no Kubernetes schema validator can be
 * had here): each kind at its API version, selectors that match the pods, probes and Prometheus
 * annotations on the port the configuration really serves HTTP on, the drain given its time.
 */
class KubernetesManifestsTest {

  static final Path MANIFESTS = LicenceTest.ROOT.resolve("deploy/kubernetes/breakwater.yaml");

  static final Map<String, String> API_VERSIONS =
      Map.of(
          "ConfigMap", "v1", "Secret", "v1", "Service", "v1",
          "Deployment", "apps/v1", "PodDisruptionBudget", "policy/v1");

  @Test
  @SuppressWarnings("unchecked")
  void manifests() throws Exception {
    Map<String, Map<String, Object>> byKind = new HashMap<>();
    for (Object doc : new Yaml().loadAll(Files.readString(MANIFESTS))) {
      Map<String, Object> m = (Map<String, Object>) doc;
      String kind = (String) m.get("kind");
      assertThat(API_VERSIONS).containsKey(kind);
      assertThat(m.get("apiVersion")).as(kind).isEqualTo(API_VERSIONS.get(kind));
      assertThat(at(m, "metadata.name")).as(kind).isNotNull();
      assertThat(byKind.put(kind, m)).as("one " + kind).isNull();
    }
    assertThat(byKind).containsOnlyKeys(API_VERSIONS.keySet());

    Map<String, Object> deployment = byKind.get("Deployment");
    Map<String, Object> podLabels = (Map<String, Object>) at(deployment, "spec.template.metadata.labels");
    assertThat((Integer) at(deployment, "spec.replicas")).isGreaterThanOrEqualTo(2);
    assertThat(podLabels).containsAllEntriesOf((Map<String, Object>) at(deployment, "spec.selector.matchLabels"));
    assertThat(podLabels).containsAllEntriesOf((Map<String, Object>) at(byKind.get("Service"), "spec.selector"));
    assertThat(podLabels)
        .containsAllEntriesOf((Map<String, Object>) at(byKind.get("PodDisruptionBudget"), "spec.selector.matchLabels"));

    // The pgbouncer.ini the pods read: the ports the probes and Prometheus use must be its ports.
    String ini = (String) at(byKind.get("ConfigMap"), "data.pgbouncer.ini");
    assertThat(ini).contains("listen_port = 6432").contains("http_listen_port = 6434").contains("http_listen_addr = 0.0.0.0");
    assertThat((String) at(byKind.get("Secret"), "stringData.userlist.txt")).isNotBlank();

    Map<String, Object> container = ((List<Map<String, Object>>) at(deployment, "spec.template.spec.containers")).get(0);
    Map<String, Integer> ports = new HashMap<>();
    for (Map<String, Object> p : (List<Map<String, Object>>) container.get("ports")) {
      ports.put((String) p.get("name"), (Integer) p.get("containerPort"));
    }
    assertThat(ports).containsEntry("postgres", 6432).containsEntry("http", 6434);
    assertThat(at(container, "livenessProbe.httpGet.path")).isEqualTo("/live");
    assertThat(at(container, "readinessProbe.httpGet.path")).isEqualTo("/ready");
    assertThat(at(container, "livenessProbe.httpGet.port")).isEqualTo("http");
    assertThat(at(container, "readinessProbe.httpGet.port")).isEqualTo("http");
    assertThat(at(container, "lifecycle.preStop")).isNotNull();
    assertThat((Integer) at(deployment, "spec.template.spec.terminationGracePeriodSeconds")).isGreaterThanOrEqualTo(30);
    Map<String, Object> annotations = (Map<String, Object>) at(deployment, "spec.template.metadata.annotations");
    assertThat(annotations)
        .containsEntry("prometheus.io/scrape", "true")
        .containsEntry("prometheus.io/port", "6434")
        .containsEntry("prometheus.io/path", "/metrics");
    // The image's user, not root.
    assertThat(at(deployment, "spec.template.spec.securityContext.runAsUser")).isEqualTo(10001);
    assertThat(DockerfileTest.parse(Files.readString(DockerfileTest.DOCKERFILE)).get("USER")).containsExactly("10001:10001");
    // Every mount names a volume the pod has; the auth_file is where the Secret is mounted.
    List<String> volumes =
        ((List<Map<String, Object>>) at(deployment, "spec.template.spec.volumes")).stream().map(v -> (String) v.get("name")).toList();
    List<Map<String, Object>> mounts = (List<Map<String, Object>>) container.get("volumeMounts");
    assertThat(mounts).allSatisfy(m -> assertThat(volumes).contains((String) m.get("name")));
    assertThat(mounts).anySatisfy(m -> assertThat(ini).contains("auth_file = " + m.get("mountPath") + "/userlist.txt"));
  }

  /** The value at a dotted path; a key with dots in it (pgbouncer.ini) is matched whole. */
  @SuppressWarnings("unchecked")
  static Object at(Map<String, Object> m, String path) {
    Object v = m;
    String rest = path;
    while (!rest.isEmpty()) {
      Map<String, Object> map = (Map<String, Object>) v;
      if (map.containsKey(rest)) {
        return map.get(rest);
      }
      int dot = rest.indexOf('.');
      String key = dot < 0 ? rest : rest.substring(0, dot);
      v = map.get(key);
      rest = dot < 0 ? "" : rest.substring(dot + 1);
      if (v == null) {
        return null;
      }
    }
    return v;
  }
}
