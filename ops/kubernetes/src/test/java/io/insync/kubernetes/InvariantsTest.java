package io.insync.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigObject;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What must hold in each IDC's rendered manifests for the node they start to work: checked against the node's
 * own configuration (read from the jar the image runs, with the container's environment) rather than against
 * numbers repeated here.
 */
@ParameterizedClass
@ValueSource(strings = {"overlays/dc1", "overlays/dc2"})
class InvariantsTest {
  /** Each overlay rendered and its node configuration read once, for all the checks. */
  private static final Map<String, Object[]> RENDERED = new java.util.concurrent.ConcurrentHashMap<>();

  @Parameter
  String dir;

  Rendered r;
  Config node;
  String dc;

  @BeforeEach
  void render() throws Exception {
    Assumptions.assumeTrue(Manifests.kubectl().isPresent(),
        "kubectl is not on this machine: the overlays cannot be rendered, so their invariants are not checked "
            + "(ManifestsTest still checks the raw files against the object model)");
    Object[] state = RENDERED.get(dir);
    if (state == null) {
      Rendered rendered = Rendered.of(dir);
      state = new Object[] {rendered, NodeConfig.effective(rendered.nodeEnvironment("10.0.0.7"), rendered.nodeConfigFile())};
      RENDERED.put(dir, state);
    }
    r = (Rendered) state[0];
    node = (Config) state[1];
    dc = dir.substring(dir.lastIndexOf('/') + 1);
  }

  @Test
  void everyNamespacedObjectIsInTheInsyncNamespace() {
    assertEquals(1, r.all(Namespace.class).size());
    String ns = r.all(Namespace.class).get(0).getMetadata().getName();
    for (HasMetadata o : r.objects()) {
      if (o instanceof Namespace) continue;
      assertEquals(ns, o.getMetadata().getNamespace(), o.getKind() + "/" + o.getMetadata().getName());
    }
  }

  @Test
  void rbacGrantsWhatKubernetesApiDiscoveryNeedsToTheNodesServiceAccount() {
    assertEquals("kubernetes-api", node.getString("pekko.management.cluster.bootstrap.contact-point-discovery.discovery-method"));
    assertTrue(node.getBoolean("insync.management.bootstrap.enabled"), "the node bootstraps its cluster");
    assertTrue(node.hasPath("pekko.discovery.kubernetes-api.class"), "the discovery module is in the node's jar");
    String sa = r.node().getSpec().getTemplate().getSpec().getServiceAccountName();
    String ns = r.node().getMetadata().getNamespace();
    assertNotNull(sa, "the pods run as a ServiceAccount of their own");
    boolean granted = false;
    for (RoleBinding b : r.all(RoleBinding.class)) {
      boolean toNode = b.getSubjects().stream().anyMatch(s -> s.getKind().equals("ServiceAccount") && s.getName().equals(sa)
          && ns.equals(s.getNamespace()));
      if (!toNode || !b.getRoleRef().getKind().equals("Role")) continue;
      Role role = r.one(Role.class, b.getRoleRef().getName());
      for (PolicyRule rule : role.getRules()) {
        if (rule.getApiGroups().contains("") && rule.getResources().contains("pods")
            && rule.getVerbs().containsAll(List.of("get", "watch", "list"))) granted = true;
      }
      // nothing beyond it: discovery reads pods, and a node needs no other API access
      for (PolicyRule rule : role.getRules()) {
        assertEquals(List.of("pods"), rule.getResources(), "only pods: " + rule);
        assertTrue(Set.of("get", "watch", "list").containsAll(rule.getVerbs()), "read only: " + rule);
      }
    }
    assertTrue(granted, "a Role bound to " + ns + "/" + sa + " grants pods get, watch, list");
  }

  @Test
  void discoveryFindsTheNodePodsAndBootstrapNeedsNoMoreOfThemThanRun() {
    String service = node.getString("pekko.management.cluster.bootstrap.contact-point-discovery.service-name");
    String selector = node.getString("pekko.discovery.kubernetes-api.pod-label-selector").replace("%s", service);
    Map<String, String> labels = r.node().getSpec().getTemplate().getMetadata().getLabels();
    for (String term : selector.split(",")) {
      String[] kv = term.split("=");
      assertEquals(kv[1].strip(), labels.get(kv[0].strip()), "pod label selector " + selector + " against " + labels);
    }
    int required = node.getInt("pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr");
    assertTrue(required >= 1 && required <= r.node().getSpec().getReplicas(),
        "required-contact-point-nr " + required + " with " + r.node().getSpec().getReplicas() + " replicas");
    String portName = node.getString("pekko.management.cluster.bootstrap.contact-point-discovery.port-name");
    assertEquals(node.getInt("pekko.management.http.port"), port(portName), "bootstrap contacts the management port");
  }

  @Test
  void containerPortsAreThePortsTheNodeListensOn() {
    assertEquals(node.getInt("insync.gateway.port"), port("sync-tcp"));
    assertEquals(node.getInt("insync.gateway.websocket.port"), port("sync-ws"));
    assertEquals(node.getInt("pekko.management.http.port"), port("management"));
    assertEquals(node.getInt("insync.metrics.port"), port("metrics"));
    assertEquals(node.getInt("pekko.remote.artery.canonical.port"), port("remoting"));
    assertEquals("0.0.0.0", node.getString("insync.gateway.host"), "the gateway listens on every interface");
    assertEquals("0.0.0.0", node.getString("insync.metrics.host"));
    assertEquals("10.0.0.7", node.getString("pekko.remote.artery.canonical.hostname"), "remoting on the pod's address");
    assertEquals("10.0.0.7", node.getString("pekko.management.http.hostname"), "management on the pod's address");
    assertEquals(Integer.parseInt(r.node().getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/port")),
        node.getInt("insync.metrics.port"), "the scrape annotation names the metrics port");
  }

  @Test
  void servicesSelectTheNodePodsAndTargetItsNamedPorts() {
    Map<String, String> pods = r.node().getSpec().getTemplate().getMetadata().getLabels();
    assertTrue(matches(r.node().getSpec().getSelector(), pods), "the Deployment selects its own pods");
    for (String name : List.of("insync-tcp", "insync-ws", "insync-management", "insync-metrics")) {
      Service s = r.one(Service.class, name);
      assertFalse(s.getSpec().getSelector().isEmpty(), name);
      s.getSpec().getSelector().forEach((k, v) -> assertEquals(v, pods.get(k), name + " selects the node pods"));
      for (ServicePort p : s.getSpec().getPorts()) {
        int target = port(p.getTargetPort().getStrVal());
        if (name.equals("insync-tcp") || name.equals("insync-ws")) {
          // a Redirect names advertise-host and the node's own port: the LoadBalancer must take that same port
          assertEquals(target, p.getPort(), name + ": service port = node port");
        }
      }
    }
    assertEquals("LoadBalancer", r.one(Service.class, "insync-tcp").getSpec().getType());
    assertEquals("LoadBalancer", r.one(Service.class, "insync-ws").getSpec().getType());
    assertEquals("ClusterIP", r.one(Service.class, "insync-management").getSpec().getType());
    StatefulSet cassandra = r.one(StatefulSet.class, "cassandra");
    Service cql = r.one(Service.class, "cassandra");
    cql.getSpec().getSelector().forEach((k, v) ->
        assertEquals(v, cassandra.getSpec().getTemplate().getMetadata().getLabels().get(k), "cassandra's Service"));
  }

  @Test
  void theDisruptionBudgetAllowsExactlyOneNodeDown() {
    PodDisruptionBudget pdb = r.one(PodDisruptionBudget.class, "insync");
    assertTrue(matches(pdb.getSpec().getSelector(), r.node().getSpec().getTemplate().getMetadata().getLabels()),
        "the PDB selects the node pods");
    int replicas = r.node().getSpec().getReplicas();
    IntOrString max = pdb.getSpec().getMaxUnavailable();
    IntOrString min = pdb.getSpec().getMinAvailable();
    int down = max != null ? resolve(max, replicas, true) : replicas - resolve(min, replicas, false);
    assertEquals(1, down, "nodes allowed down at once, with " + replicas + " replicas");
    var rolling = r.node().getSpec().getStrategy().getRollingUpdate();
    assertEquals(0, rolling.getMaxUnavailable().getIntVal(), "a rolling update takes no node away before its successor is ready");
    assertEquals(1, rolling.getMaxSurge().getIntVal(), "one node at a time");
  }

  @Test
  void probesAskTheNodesHealthRoutesOnItsManagementPort() {
    Container c = r.nodeContainer();
    String ready = "/" + node.getString("pekko.management.health-checks.readiness-path");
    String alive = "/" + node.getString("pekko.management.health-checks.liveness-path");
    long checkTimeout = node.getDuration("pekko.management.health-checks.check-timeout").toSeconds();
    for (var e : Map.of("readiness", List.of(c.getReadinessProbe(), ready), "liveness", List.of(c.getLivenessProbe(), alive),
        "startup", List.of(c.getStartupProbe(), alive)).entrySet()) {
      Probe p = (Probe) e.getValue().get(0);
      assertNotNull(p, e.getKey() + " probe");
      HTTPGetAction get = p.getHttpGet();
      assertEquals(e.getValue().get(1), get.getPath(), e.getKey());
      assertEquals(node.getInt("pekko.management.http.port"), port(get.getPort()), e.getKey() + " on the management port");
      assertTrue(p.getTimeoutSeconds() > checkTimeout, e.getKey() + ": the probe waits longer than a health check may take");
    }
  }

  @Test
  void theTerminationGraceCoversTheNodesWholeCoordinatedShutdown() {
    ConfigObject phases = node.getObject("pekko.coordinated-shutdown.phases");
    long defaultTimeout = node.getDuration("pekko.coordinated-shutdown.default-phase-timeout").toSeconds();
    long sum = 0;
    for (String phase : phases.keySet()) {
      Config p = node.getConfig("pekko.coordinated-shutdown.phases.\"" + phase + "\"");
      sum += p.hasPath("timeout") ? p.getDuration("timeout").toSeconds() : defaultTimeout;
    }
    long kamonStop = 5; // NodeMetrics' shutdown hook waits up to 5 s for Kamon
    long grace = r.node().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    System.out.println(dir + ": coordinated shutdown phases sum to " + sum + " s (+" + kamonStop + " s Kamon); grace " + grace + " s");
    assertTrue(grace >= sum + kamonStop, "terminationGracePeriodSeconds " + grace + " < " + (sum + kamonStop));
    assertTrue(node.getDuration("insync.gateway.leave.grace").toSeconds() < grace, "the clients' grace fits");
  }

  @Test
  void theJvmHeapAndWhatIsNotHeapFitTheMemoryLimit() {
    Container c = r.nodeContainer();
    String opts = r.nodeEnvironment("10.0.0.7").get("JAVA_TOOL_OPTIONS");
    assertNotNull(opts, "JVM flags in JAVA_TOOL_OPTIONS");
    long limit = bytes(c.getResources().getLimits().get("memory"));
    assertEquals(limit, bytes(c.getResources().getRequests().get("memory")), "memory request = limit (no overcommit)");
    double percent = Double.parseDouble(flag(opts, "-XX:MaxRAMPercentage=([0-9.]+)"));
    long direct = size(flag(opts, "-XX:MaxDirectMemorySize=(\\S+)"));
    long metaspace = size(flag(opts, "-XX:MaxMetaspaceSize=(\\S+)"));
    long other = 256L << 20; // thread stacks (~300 threads x 1 MiB reserved, far less used), code cache, GC structures
    long heap = (long) (limit * percent / 100);
    System.out.printf("%s: heap %d MiB + direct %d MiB + metaspace %d MiB + other %d MiB = %d MiB of %d MiB%n", dir,
        heap >> 20, direct >> 20, metaspace >> 20, other >> 20, (heap + direct + metaspace + other) >> 20, limit >> 20);
    assertTrue(heap + direct + metaspace + other <= limit, "the JVM fits its memory limit");
    assertTrue(heap >= 512L << 20, "a heap of at least 512 MiB");
    int parallelism = Integer.parseInt(flag(opts, "-Djava.util.concurrent.ForkJoinPool.common.parallelism=(\\d+)"));
    assertTrue(parallelism >= 2, "the common pool's parallelism is at least 2");
    int cpus = new BigDecimal(c.getResources().getLimits().get("cpu").getAmount()).intValue();
    assertTrue(cpus >= 1, "a CPU limit");
    assertTrue(opts.contains("-javaagent:" + DockerfileTest.KANELA_IN_IMAGE), "the Kanela agent from the image");
  }

  @Test
  void theAppVersionIsTheImageTag() {
    String image = r.nodeContainer().getImage();
    String tag = image.substring(image.lastIndexOf(':') + 1);
    assertEquals(tag, r.node().getSpec().getTemplate().getMetadata().getLabels().get("app.kubernetes.io/version"),
        "the version label equals the image tag (" + image + ")");
    assertEquals(tag, node.getString("pekko.cluster.app-version"), "the node's app-version");
    assertEquals(image, r.one(Job.class, "insync-schema").getSpec().getTemplate().getSpec().getContainers().get(0).getImage(),
        "the schema Job runs the same release");
  }

  @Test
  void theIdcIsNamedTheSameEverywhere() {
    assertEquals(dc, node.getString("pekko.cluster.multi-data-center.self-data-center"), "Pekko's data centre");
    assertEquals(dc, node.getString("datastax-java-driver.basic.load-balancing-policy.local-datacenter"), "Cassandra's");
    Container cassandra = r.one(StatefulSet.class, "cassandra").getSpec().getTemplate().getSpec().getContainers().get(0);
    assertEquals(dc, cassandra.getEnv().stream().filter(e -> e.getName().equals("CASSANDRA_DC")).findFirst().orElseThrow().getValue(),
        "the dev Cassandra's data centre");
    List<String> args = r.one(Job.class, "insync-schema").getSpec().getTemplate().getSpec().getContainers().get(0).getArgs();
    String replication = args.get(args.indexOf("--replication") + 1);
    assertTrue(List.of(replication.split(",")).stream().anyMatch(p -> p.startsWith(dc + "=")),
        "the schema replicates in " + dc + ": " + replication);
    String contact = r.nodeEnvironment("10.0.0.7").get("INSYNC_CASSANDRA");
    Service cql = r.one(Service.class, "cassandra");
    assertTrue(contact.startsWith(cql.getMetadata().getName() + "." + cql.getMetadata().getNamespace() + ".svc"),
        "the nodes reach this IDC's Cassandra: " + contact);
  }

  @Test
  void everyEnvironmentVariableSetIsOneTheNodeReadsAndEveryReferenceResolves() {
    Set<String> read = NodeConfig.environmentVariablesRead();
    for (String name : r.nodeEnvironment("10.0.0.7").keySet()) {
      if (name.startsWith("INSYNC_")) assertTrue(read.contains(name), name + " is read by the node (it reads " + read + ")");
    }
    Container c = r.nodeContainer();
    for (EnvVar v : c.getEnv()) {
      if (v.getValueFrom() != null && v.getValueFrom().getSecretKeyRef() != null) {
        Secret s = r.one(Secret.class, v.getValueFrom().getSecretKeyRef().getName());
        assertTrue(s.getStringData().containsKey(v.getValueFrom().getSecretKeyRef().getKey()), v.getName());
      }
    }
    assertFalse(r.nodeEnvironment("10.0.0.7").get("INSYNC_TOKEN_SECRET").isBlank());
    assertEquals(r.nodeConfigPath(), "/etc/insync/application.conf", "the node reads the mounted ConfigMap");
    assertNotNull(r.generated(ConfigMap.class, "insync-config"));
  }

  @Test
  void theNodeRunsAsTheImagesUnprivilegedUser() {
    var pod = r.node().getSpec().getTemplate().getSpec().getSecurityContext();
    assertTrue(pod.getRunAsNonRoot());
    assertEquals(DockerfileTest.IMAGE_UID, pod.getRunAsUser());
    var c = r.nodeContainer().getSecurityContext();
    assertFalse(c.getAllowPrivilegeEscalation());
    assertTrue(c.getReadOnlyRootFilesystem());
    assertTrue(r.nodeContainer().getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")),
        "a writable /tmp under the read-only root");
  }

  private int port(String name) {
    return r.nodeContainer().getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort)
        .findFirst().orElseThrow(() -> new AssertionError("no container port named " + name));
  }

  private int port(IntOrString p) {
    return p.getStrVal() != null ? port(p.getStrVal()) : p.getIntVal();
  }

  private static boolean matches(LabelSelector selector, Map<String, String> labels) {
    assertTrue(selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(), "only matchLabels");
    return !selector.getMatchLabels().isEmpty()
        && selector.getMatchLabels().entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
  }

  private static int resolve(IntOrString v, int replicas, boolean roundUp) {
    if (v.getStrVal() == null) return v.getIntVal();
    double pct = Double.parseDouble(v.getStrVal().replace("%", "")) * replicas / 100;
    return (int) (roundUp ? Math.ceil(pct) : Math.ceil(pct));
  }

  private static String flag(String opts, String regex) {
    Matcher m = Pattern.compile(regex).matcher(opts);
    assertTrue(m.find(), "JAVA_TOOL_OPTIONS sets " + regex + ": " + opts);
    return m.group(1);
  }

  private static long bytes(Quantity q) {
    return Quantity.getAmountInBytes(q).longValue();
  }

  private static long size(String jvm) {
    Map<Character, Long> units = new HashMap<>(Map.of('k', 1L << 10, 'm', 1L << 20, 'g', 1L << 30));
    char last = Character.toLowerCase(jvm.charAt(jvm.length() - 1));
    return units.containsKey(last) ? Long.parseLong(jvm.substring(0, jvm.length() - 1)) * units.get(last) : Long.parseLong(jvm);
  }
}
