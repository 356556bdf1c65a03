package io.insync.kubernetes;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One rendered kustomization (an overlay, or the base) as model objects, with what the checks look up. */
record Rendered(String dir, List<HasMetadata> objects) {

  static Rendered of(String dir) throws Exception {
    List<JsonNode> docs = Manifests.documents(Manifests.render(dir));
    List<HasMetadata> objects = new ArrayList<>();
    for (JsonNode d : docs) objects.add(Manifests.typed(d));
    return new Rendered(dir, objects);
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> T one(Class<T> type, String name) {
    List<T> found = all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
    if (found.size() != 1) throw new AssertionError(dir + ": expected one " + type.getSimpleName() + " " + name + ", found " + found.size());
    return found.get(0);
  }

  /** A ConfigMap or Secret by the name the base gives it (kustomize adds a hash suffix to generated ones). */
  <T extends HasMetadata> T generated(Class<T> type, String baseName) {
    List<T> found = all(type).stream().filter(o -> o.getMetadata().getName().equals(baseName)
        || o.getMetadata().getName().matches(java.util.regex.Pattern.quote(baseName) + "-[a-z0-9]{10}")).toList();
    if (found.size() != 1) throw new AssertionError(dir + ": expected one " + type.getSimpleName() + " " + baseName + "(-hash), found " + found.size());
    return found.get(0);
  }

  Deployment node() {
    return one(Deployment.class, "insync");
  }

  Container nodeContainer() {
    return node().getSpec().getTemplate().getSpec().getContainers().stream()
        .filter(c -> c.getName().equals("insync")).findFirst().orElseThrow();
  }

  /**
   * The node container's environment as the pod would see it: envFrom ConfigMaps first, then env (which wins);
   * fieldRefs to the pod's address as {@code podIp}, to its labels as their values, secrets from their Secret.
   */
  Map<String, String> nodeEnvironment(String podIp) {
    Map<String, String> env = new LinkedHashMap<>();
    Container c = nodeContainer();
    for (var from : c.getEnvFrom()) {
      if (from.getConfigMapRef() != null) {
        ConfigMap cm = one(ConfigMap.class, from.getConfigMapRef().getName());
        env.putAll(cm.getData());
      }
    }
    Map<String, String> labels = node().getSpec().getTemplate().getMetadata().getLabels();
    for (EnvVar v : c.getEnv()) {
      if (v.getValueFrom() == null) {
        env.put(v.getName(), v.getValue() == null ? "" : v.getValue());
      } else if (v.getValueFrom().getFieldRef() != null) {
        String path = v.getValueFrom().getFieldRef().getFieldPath();
        if (path.equals("status.podIP")) env.put(v.getName(), podIp);
        else if (path.startsWith("metadata.labels['")) env.put(v.getName(), labels.get(path.substring(17, path.length() - 2)));
        else throw new AssertionError("a fieldRef this check does not know: " + path);
      } else if (v.getValueFrom().getSecretKeyRef() != null) {
        var ref = v.getValueFrom().getSecretKeyRef();
        Secret s = one(Secret.class, ref.getName());
        String value = s.getStringData() != null ? s.getStringData().get(ref.getKey()) : null;
        if (value == null && s.getData() != null && s.getData().get(ref.getKey()) != null) {
          value = new String(java.util.Base64.getDecoder().decode(s.getData().get(ref.getKey())), java.nio.charset.StandardCharsets.UTF_8);
        }
        if (value == null) throw new AssertionError(v.getName() + ": Secret " + ref.getName() + " has no key " + ref.getKey());
        env.put(v.getName(), value);
      } else if (v.getValueFrom().getConfigMapKeyRef() != null) {
        var ref = v.getValueFrom().getConfigMapKeyRef();
        env.put(v.getName(), one(ConfigMap.class, ref.getName()).getData().get(ref.getKey()));
      } else {
        throw new AssertionError("an env source this check does not know: " + v);
      }
    }
    return env;
  }

  /** The application.conf the node container mounts (the ConfigMap behind the volume at /etc/insync). */
  String nodeConfigFile() {
    var spec = node().getSpec().getTemplate().getSpec();
    String volume = nodeContainer().getVolumeMounts().stream().filter(m -> m.getMountPath().equals("/etc/insync"))
        .findFirst().orElseThrow(() -> new AssertionError("no volume at /etc/insync")).getName();
    String cm = spec.getVolumes().stream().filter(v -> v.getName().equals(volume)).findFirst().orElseThrow()
        .getConfigMap().getName();
    return Optional.ofNullable(one(ConfigMap.class, cm).getData().get("application.conf"))
        .orElseThrow(() -> new AssertionError("ConfigMap " + cm + " has no application.conf"));
  }

  /** The path of the --config file in the node container's args. */
  String nodeConfigPath() {
    List<String> args = nodeContainer().getArgs();
    int i = args.indexOf("--config");
    if (i < 0 || i + 1 >= args.size()) throw new AssertionError("the node container passes no --config: " + args);
    return args.get(i + 1);
  }
}
