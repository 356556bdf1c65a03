package io.insync.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every overlay renders, and every object in it fits the Kubernetes object model exactly. */
class ManifestsTest {

  @ParameterizedTest
  @ValueSource(strings = {"base", "overlays/dc1", "overlays/dc2", "dev-cassandra"})
  void rendersAndEveryObjectFitsTheObjectModelStrictly(String dir) throws Exception {
    List<JsonNode> docs;
    if (Manifests.kubectl().isPresent()) {
      docs = Manifests.documents(Manifests.render(dir));
    } else {
      System.out.println("kubectl is not on this machine: " + dir + " is not rendered; its raw resource files are "
          + "checked against the object model instead (install kubectl for the full check)");
      docs = Manifests.rawResources(dir);
    }
    Set<String> kinds = new TreeSet<>();
    for (JsonNode d : docs) {
      HasMetadata o = Manifests.typed(d);
      kinds.add(o.getKind());
    }
    assertTrue(docs.size() > 0, dir + " holds objects");
    if (dir.startsWith("overlays")) {
      assertEquals(Set.of("ConfigMap", "Deployment", "Job", "Namespace", "PodDisruptionBudget", "Role", "RoleBinding",
          "Secret", "Service", "ServiceAccount", "StatefulSet"), kinds, dir);
    }
  }

  @Test
  void theStrictCheckCatchesUnknownFieldsAndKinds() throws Exception {
    String yaml = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: typo
        spec:
          replica: 3
          selector:
            matchLabels: {app: x}
          template:
            metadata:
              labels: {app: x}
            spec:
              containers:
                - name: x
                  image: x
                  livenessProbe:
                    httpGett: {path: /alive, port: 8558}
        """;
    AssertionError e = assertThrows(AssertionError.class, () -> Manifests.typed(Manifests.documents(yaml).get(0)));
    assertTrue(e.getMessage().contains("spec.replica"), e.getMessage());
    assertTrue(e.getMessage().contains("livenessProbe.httpGett"), e.getMessage());

    String unknownKind = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n";
    AssertionError k = assertThrows(AssertionError.class, () -> Manifests.typed(Manifests.documents(unknownKind).get(0)));
    assertTrue(k.getMessage().contains("Widget"), k.getMessage());

    String wrongType = "apiVersion: v1\nkind: Service\nmetadata: {name: s}\nspec:\n  ports: 7400\n";
    assertThrows(AssertionError.class, () -> Manifests.typed(Manifests.documents(wrongType).get(0)));
  }
}
