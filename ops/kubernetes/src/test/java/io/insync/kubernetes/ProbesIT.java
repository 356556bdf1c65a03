package io.insync.kubernetes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.Probe;
import io.insync.persistence.cassandra.CassandraExtension;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The dc1 overlay's node container, run here: the jar the image runs, the JVM flags, environment, args and
 * config file of the rendered Deployment, Kanela loaded with -javaagent as in the image; then its startup,
 * readiness and liveness probes are asked exactly as the kubelet would (path, port by name), within the
 * budgets the manifest gives them, and a SIGTERM must end the node within terminationGracePeriodSeconds.
 *
 * <p>What differs from a pod, because this is one machine with no Kubernetes: the pod address is 127.0.0.1
 * and every port is a free one (through the same INSYNC_* variables), listeners bind loopback, Cassandra is
 * the test's, and cluster bootstrap is off (no API server to list pods: the node forms a cluster of one).
 */
@ExtendWith(CassandraExtension.class)
class ProbesIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Test
  void theNodeTheManifestsStartPassesItsProbesAndStopsWithinItsGrace() throws Exception {
    Assumptions.assumeTrue(Manifests.kubectl().isPresent(), "kubectl is not on this machine: the overlay cannot be rendered");
    Rendered r = Rendered.of("overlays/dc1");
    Container c = r.nodeContainer();
    Path dir = Files.createDirectories(Path.of("target", "probes-it"));

    Map<String, String> env = new java.util.LinkedHashMap<>(r.nodeEnvironment("127.0.0.1"));
    env.replaceAll((k, v) -> "0.0.0.0".equals(v) ? "127.0.0.1" : v);
    int tcp = freePort();
    int ws = freePort();
    int management = freePort();
    int metrics = freePort();
    env.put("INSYNC_GATEWAY_PORT", String.valueOf(tcp));
    env.put("INSYNC_GATEWAY_WS_PORT", String.valueOf(ws));
    env.put("INSYNC_MANAGEMENT_PORT", String.valueOf(management));
    env.put("INSYNC_METRICS_PORT", String.valueOf(metrics));
    env.put("INSYNC_ARTERY_PORT", String.valueOf(freePort()));
    env.put("INSYNC_CASSANDRA", CassandraExtension.host() + ":" + CassandraExtension.port());
    env.put("INSYNC_CASSANDRA_DC", CassandraExtension.datacenter());
    Path kanela = kanelaFromTheJar(dir);
    env.put("JAVA_TOOL_OPTIONS", env.get("JAVA_TOOL_OPTIONS").replace("-javaagent:" + DockerfileTest.KANELA_IN_IMAGE,
        "-javaagent:" + kanela.toAbsolutePath()));
    Path config = dir.resolve("application.conf");
    Files.writeString(config, r.nodeConfigFile()
        + "\n# ProbesIT: no Kubernetes API server here, so no bootstrap: a cluster of one\ninsync.management.bootstrap.enabled = off\n");

    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", NodeConfig.jar().toAbsolutePath().toString()));
    for (String a : c.getArgs()) cmd.add(a.equals(r.nodeConfigPath()) ? config.toAbsolutePath().toString() : a);
    Path log = dir.resolve("node.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("INSYNC_") || k.equals("JAVA_TOOL_OPTIONS"));
    pb.environment().putAll(env);
    Process node = pb.start();
    try {
      int managementPort = portNamed(c, "management");
      assertEquals(8558, managementPort, "the manifest's management port (here replaced by " + management + ")");
      Probe startup = c.getStartupProbe();
      long startupBudget = (long) startup.getFailureThreshold() * startup.getPeriodSeconds();
      long t0 = System.nanoTime();
      awaitOk(node, log, management, startup.getHttpGet().getPath(), startupBudget, "startup");
      System.out.printf("ProbesIT: startup probe %s passed after %d ms (budget %d s)%n", startup.getHttpGet().getPath(),
          (System.nanoTime() - t0) / 1_000_000, startupBudget);
      awaitOk(node, log, management, c.getReadinessProbe().getHttpGet().getPath(), 120, "readiness");
      System.out.printf("ProbesIT: readiness probe %s passed after %d ms%n", c.getReadinessProbe().getHttpGet().getPath(),
          (System.nanoTime() - t0) / 1_000_000);
      assertEquals(200, get(management, c.getLivenessProbe().getHttpGet().getPath()), "liveness");
      assertEquals(404, get(management, "/no-such-route"), "a path the node does not serve fails (so the checks above can)");

      String scrape = body(metrics, r.node().getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/path"));
      assertTrue(scrape.contains("jvm_memory"), "the scrape path of the pod annotation serves the node's metrics");
      assertTrue(scrape.contains("executor_"), "Kanela (loaded with -javaagent) instruments the dispatchers: executor_* series");
      String out = Files.readString(log);
      assertTrue(!out.contains("Exception in thread \"main\""), out);
      String image = c.getImage();
      assertTrue(out.contains("version [" + image.substring(image.lastIndexOf(':') + 1) + "]"),
          "the node joined with the image tag as its app-version:\n" + out);

      long grace = r.node().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
      long s0 = System.nanoTime();
      node.destroy(); // SIGTERM, as the kubelet sends
      assertTrue(node.waitFor(grace, TimeUnit.SECONDS), "the node stops within terminationGracePeriodSeconds (" + grace + " s)");
      System.out.printf("ProbesIT: SIGTERM to exit %d ms (grace %d s), exit %d%n", (System.nanoTime() - s0) / 1_000_000, grace,
          node.exitValue());
      assertEquals(143, node.exitValue(), "a clean exit on SIGTERM");
    } finally {
      if (node.isAlive()) {
        node.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void theSchemaJobAppliesTheSchemaAndCanRunAgain() throws Exception {
    Assumptions.assumeTrue(Manifests.kubectl().isPresent(), "kubectl is not on this machine: the overlay cannot be rendered");
    Rendered r = Rendered.of("overlays/dc1");
    Container job = r.one(io.fabric8.kubernetes.api.model.batch.v1.Job.class, "insync-schema")
        .getSpec().getTemplate().getSpec().getContainers().get(0);
    Map<String, String> env = new java.util.LinkedHashMap<>();
    for (var from : job.getEnvFrom()) env.putAll(r.one(io.fabric8.kubernetes.api.model.ConfigMap.class, from.getConfigMapRef().getName()).getData());
    for (var v : job.getEnv()) env.put(v.getName(), v.getValue());
    env.put("INSYNC_CASSANDRA", CassandraExtension.host() + ":" + CassandraExtension.port());
    env.put("INSYNC_CASSANDRA_DC", CassandraExtension.datacenter());
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", NodeConfig.jar().toAbsolutePath().toString()));
    List<String> args = new ArrayList<>(job.getArgs());
    // the test Cassandra is one node in the test's data centre: replication there, as the overlay's dev Cassandra has
    args.set(args.indexOf("--replication") + 1, CassandraExtension.datacenter() + "=1");
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("INSYNC_") || k.equals("JAVA_TOOL_OPTIONS"));
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("schema applied on " + env.get("INSYNC_CASSANDRA")), out);
  }

  private static void awaitOk(Process node, Path log, int port, String path, long budgetSeconds, String probe) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(budgetSeconds);
    int last = -1;
    while (System.nanoTime() < deadline) {
      if (!node.isAlive()) throw new AssertionError("the node exited (" + node.exitValue() + "):\n" + Files.readString(log));
      last = get(port, path);
      if (last == 200) return;
      Thread.sleep(250);
    }
    throw new AssertionError(probe + " probe " + path + " not 200 within " + budgetSeconds + " s (last " + last + "):\n"
        + Files.readString(log));
  }

  /** The status of a GET, or -1 when nothing answers (yet). */
  private static int get(int port, String path) throws InterruptedException {
    try {
      return HTTP.send(request(port, path), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  private static String body(int port, String path) throws Exception {
    HttpResponse<String> r = HTTP.send(request(port, path), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), path);
    return r.body();
  }

  private static HttpRequest request(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(6)).GET().build();
  }

  private static int portNamed(Container c, String name) {
    return c.getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort).findFirst().orElseThrow();
  }

  /** The Kanela agent jar inside insync.jar, as the Dockerfile takes it out. */
  private static Path kanelaFromTheJar(Path dir) throws IOException {
    try (JarFile jar = new JarFile(NodeConfig.jar().toFile())) {
      var entry = jar.stream().filter(e -> e.getName().matches("kanela-agent-[0-9.]+\\.jar")).findFirst().orElseThrow();
      Path out = dir.resolve("kanela-agent.jar");
      try (InputStream in = jar.getInputStream(entry)) {
        Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
      }
      return out;
    }
  }

  /** A free loopback port below the ephemeral range (so no outgoing connection takes it before the node binds). */
  private static int freePort() throws IOException {
    for (int tries = 0; tries < 200; tries++) {
      int port = 20000 + ThreadLocalRandom.current().nextInt(12000);
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", port));
        return port;
      } catch (IOException taken) {
        // next
      }
    }
    throw new IOException("no free port");
  }
}
