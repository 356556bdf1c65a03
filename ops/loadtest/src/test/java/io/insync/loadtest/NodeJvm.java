package io.insync.loadtest;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real insync node in its own JVM, run from ops' shaded jar ({@code -Dinsync.ops.jar}, set by the build) so
 * it has the node's own Netty, not Gatling's; on loopback, its output in target/it-nodes/. Like ops'
 * NodeProcess (same short gateway timeouts), which cannot be used here because it runs the test classpath.
 */
final class NodeJvm implements AutoCloseable {
  private final int wsPort = freePort();
  private final Path log;
  private final Process process;

  private NodeJvm(String cassandraHostPort, String name) throws IOException {
    Path jar = Path.of(System.getProperty("insync.ops.jar", "../target/insync.jar"));
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no node jar at " + jar.toAbsolutePath() + ": build ops first (mvn -pl ops/loadtest -am verify)");
    }
    Path dir = Path.of("target", "it-nodes");
    Files.createDirectories(dir);
    log = dir.resolve(name + "-" + wsPort + ".log");
    List<String> cmd = List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx512m", "-XX:+UseSerialGC", "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4",
        "-Dinsync.gateway.auth-timeout=2s", "-Dinsync.gateway.idle-timeout=6s", "-Dinsync.gateway.heartbeat-interval=2s",
        "-jar", jar.toString(),
        "node", "--port", String.valueOf(freePort()), "--ws-port", String.valueOf(wsPort),
        "--artery-port", String.valueOf(freePort()), "--management-port", "0",
        "--cassandra", cassandraHostPort, "--dc", "dc1");
    process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  /** Starts a node and waits until it says "insync node ready". */
  static NodeJvm start(String cassandraHostPort, String name) throws Exception {
    NodeJvm node = new NodeJvm(cassandraHostPort, name);
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (System.nanoTime() < deadline) {
      String out = node.output();
      if (out.contains("insync node ready")) return node;
      if (!node.process.isAlive()) throw new IllegalStateException("node exited with " + node.process.exitValue() + ":\n" + out);
      Thread.sleep(100);
    }
    node.close();
    throw new IllegalStateException("node not ready within 120 s:\n" + node.output());
  }

  int wsPort() {
    return wsPort;
  }

  String output() throws IOException {
    return Files.exists(log) ? new String(Files.readAllBytes(log), StandardCharsets.UTF_8) : "";
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
