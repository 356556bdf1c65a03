package io.insync.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import java.io.IOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The manifests of k8s/ as Kubernetes objects: rendered by {@code kubectl kustomize} (present on these machines)
 * and read into the fabric8 object model, strictly: a field the model does not know (a typo, a field at the
 * wrong level) is an error, as it is for {@code kubectl apply --validate=strict}, and so is a kind no model
 * class knows.
 */
final class Manifests {
  static final Path K8S = Path.of("../../k8s").toAbsolutePath().normalize();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private Manifests() {}

  /** {@code kubectl}, if this machine has it. */
  static Optional<String> kubectl() {
    try {
      Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0 ? Optional.of("kubectl") : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  /** {@code kubectl kustomize dir} (a folder under k8s/), as YAML. */
  static String render(String dir) throws IOException, InterruptedException {
    Path root = K8S.resolve(dir);
    Process p = new ProcessBuilder("kubectl", "kustomize", root.toString()).redirectError(ProcessBuilder.Redirect.PIPE).start();
    byte[] out = p.getInputStream().readAllBytes();
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("kubectl kustomize " + root + " failed: " + err);
    }
    return new String(out, StandardCharsets.UTF_8);
  }

  /** The documents of a (multi-document) YAML text; empty documents dropped. */
  static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode() && n.size() > 0) docs.add(n);
      }
    }
    return docs;
  }

  /** The raw YAML files a kustomization lists as resources (for machines without kubectl). */
  static List<JsonNode> rawResources(String dir) throws IOException {
    Path root = K8S.resolve(dir);
    JsonNode k = YAML.readTree(root.resolve("kustomization.yaml").toFile());
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : k.path("resources")) {
      Path f = root.resolve(r.asText());
      if (Files.isRegularFile(f)) out.addAll(documents(Files.readString(f)));
    }
    return out;
  }

  /** A document as its model object; a problem (unknown kind or field, wrong type) as an AssertionError. */
  static HasMetadata typed(JsonNode doc) {
    String name = doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
    KubernetesResource r;
    try {
      r = YAML.treeToValue(doc, KubernetesResource.class);
    } catch (IOException | IllegalArgumentException e) {
      throw new AssertionError(name + " does not fit the Kubernetes object model: " + e.getMessage(), e);
    }
    if (r instanceof GenericKubernetesResource || !(r instanceof HasMetadata h)) {
      throw new AssertionError(name + ": no model class knows " + doc.path("apiVersion").asText() + " " + doc.path("kind").asText());
    }
    List<String> unknown = new ArrayList<>();
    unknownFields(r, name, unknown);
    if (!unknown.isEmpty()) throw new AssertionError("fields the Kubernetes object model does not know: " + unknown);
    return h;
  }

  /** Every model object's additionalProperties (where the model puts fields it does not know), by path. */
  static void unknownFields(Object o, String path, List<String> out) {
    if (o == null) return;
    if (o instanceof Collection<?> c) {
      int i = 0;
      for (Object e : c) unknownFields(e, path + "[" + i++ + "]", out);
      return;
    }
    if (o instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) unknownFields(e.getValue(), path + "[" + e.getKey() + "]", out);
      return;
    }
    if (!o.getClass().getName().startsWith("io.fabric8.")) return;
    for (Method g : o.getClass().getMethods()) {
      if (g.getParameterCount() != 0 || Modifier.isStatic(g.getModifiers()) || g.getDeclaringClass() == Object.class) continue;
      String n = g.getName();
      if (!n.startsWith("get") || n.equals("getClass")) continue;
      Object v;
      try {
        v = g.invoke(o);
      } catch (ReflectiveOperationException e) {
        continue;
      }
      if (n.equals("getAdditionalProperties")) {
        if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
          for (Object key : extra.keySet()) out.add(path + "." + key);
        }
        continue;
      }
      String field = Character.toLowerCase(n.charAt(3)) + n.substring(4);
      unknownFields(v, path + "." + field, out);
    }
  }
}
