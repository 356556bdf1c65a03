package io.insync.ops;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/**
 * A real insync node in its own JVM ({@code insync node}), on loopback, for integration tests.
 * Its output goes to a file under target/; a kill is a real SIGKILL.
 */
public final class NodeProcess implements AutoCloseable {
  private final int tcpPort;
  private final int wsPort;
  private final int arteryPort;
  private final int managementPort;
  private final int metricsPort;
  private final String cassandra;
  private final Path log;
  private final List<String> seeds = new ArrayList<>();
  private final List<String> jvmArgs = new ArrayList<>();
  private Path configFile;
  private Process process;

  public NodeProcess(String cassandraHostPort, String name) throws IOException {
    this(cassandraHostPort, name, freePort());
  }

  /** A node on a given TCP port (to restart "the same" node after a kill). */
  public NodeProcess(String cassandraHostPort, String name, int tcpPort) throws IOException {
    this.tcpPort = tcpPort;
    this.wsPort = freePort();
    this.arteryPort = freePort();
    this.managementPort = freePort();
    this.metricsPort = freePort();
    this.cassandra = cassandraHostPort;
    Path dir = Path.of("target", "it-nodes");
    Files.createDirectories(dir);
    this.log = dir.resolve(name + "-" + tcpPort + ".log");
  }

  /**
   * A port free now, below the kernel's ephemeral range (32768 and up on Linux by default): a port
   * from that range (what binding port 0 gives) may be handed to an outgoing connection (Cassandra's
   * driver, Artery) between this check and the node's bind, and the node then failed with "Address
   * already in use" (CrossNodeLimitsIT, once in CI). Each test JVM starts at a random place in
   * [20000, 32000) and moves on, so two test JVMs rarely try the same port, and a taken one is skipped.
   */
  public static synchronized int freePort() throws IOException {
    for (int tries = 0; tries < PORT_SPAN; tries++) {
      int port = PORT_BASE + Math.floorMod(nextPort++, PORT_SPAN);
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
        return port;
      } catch (IOException taken) {
        // in use: the next one
      }
    }
    throw new IOException("no free port in [" + PORT_BASE + ", " + (PORT_BASE + PORT_SPAN) + ")");
  }

  private static final int PORT_BASE = 20000;
  private static final int PORT_SPAN = 12000;
  private static int nextPort = new java.util.Random().nextInt(PORT_SPAN);

  public int tcpPort() {
    return tcpPort;
  }

  /** The node's WebSocket SYNC port (path {@code /sync}); kept across restarts of this NodeProcess. */
  public int wsPort() {
    return wsPort;
  }

  /** The node's management HTTP port (cluster routes, /ready, /alive); kept across restarts of this NodeProcess. */
  public int managementPort() {
    return managementPort;
  }

  /** The node's Prometheus endpoint port ({@code GET /metrics}); kept across restarts of this NodeProcess. */
  public int metricsPort() {
    return metricsPort;
  }

  /** This node's cluster address, to use as another node's seed. */
  public String clusterAddress() {
    return "pekko://insync@127.0.0.1:" + arteryPort;
  }

  /** Join the cluster through these seed nodes (none: form a cluster of one). */
  public NodeProcess withSeeds(String... addresses) {
    seeds.addAll(List.of(addresses));
    return this;
  }

  /** Extra JVM arguments (for example {@code -Dinsync.user.delivery-timeout=1s}), after the defaults. */
  public NodeProcess withJvmArgs(String... args) {
    jvmArgs.addAll(List.of(args));
    return this;
  }

  /** An extra HOCON file ({@code insync node --config}), as an operator gives one; above application.conf. */
  public NodeProcess withConfig(Path file) {
    configFile = file.toAbsolutePath();
    return this;
  }

  /** Starts the JVM and waits for "insync node ready" (at most 120 s). */
  public NodeProcess start() throws Exception {
    return start(Duration.ofSeconds(120));
  }

  /** Starts the JVM and waits for "insync node ready", at most {@code timeout}. */
  public NodeProcess start(Duration timeout) throws Exception {
    long mark = launch();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      String out = Files.exists(log) ? tail(mark) : "";
      if (out.contains("insync node ready")) return this;
      if (!process.isAlive()) throw new IllegalStateException("node exited with " + process.exitValue() + ":\n" + out);
      Thread.sleep(100);
    }
    process.destroyForcibly();
    throw new IllegalStateException("node not ready within " + timeout.toSeconds() + " s:\n" + tail(mark));
  }

  /**
   * Starts the JVM for a node that is expected never to become ready: waits (checking every 100 ms)
   * until it exits or {@code timeout} passes, and reports whether it said ready and whether its client
   * port ever accepted a connection meanwhile.
   */
  public NotReady startExpectingNoReady(Duration timeout) throws Exception {
    long mark = launch();
    long deadline = System.nanoTime() + timeout.toNanos();
    boolean portOpened = false;
    while (System.nanoTime() < deadline && process.isAlive()) {
      portOpened |= accepts(tcpPort);
      Thread.sleep(100);
    }
    boolean exited = !process.isAlive();
    if (!exited) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    String out = tail(mark);
    return new NotReady(exited ? OptionalInt.of(process.exitValue()) : OptionalInt.empty(),
        out.contains("insync node ready"), portOpened, out);
  }

  /** What a node that should not have become ready did: its exit code (empty: still running at the end). */
  public record NotReady(OptionalInt exitCode, boolean saidReady, boolean portOpened, String output) {}

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private long launch() throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx512m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-Djava.util.concurrent.ForkJoinPool.common.parallelism=4");
    // the shipped failover timings (cluster.conf): FailoverIT measures them
    // short timeouts so the timeout tests run quickly; clients heartbeat faster than idle-timeout
    cmd.add("-Dinsync.gateway.auth-timeout=2s");
    cmd.add("-Dinsync.gateway.idle-timeout=6s");
    cmd.add("-Dinsync.gateway.heartbeat-interval=2s");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.insync.ops.cli.InsyncCli");
    cmd.addAll(List.of("node", "--port", String.valueOf(tcpPort), "--ws-port", String.valueOf(wsPort),
        "--artery-port", String.valueOf(arteryPort), "--management-port", String.valueOf(managementPort),
        "--metrics-port", String.valueOf(metricsPort),
        "--cassandra", cassandra, "--dc", "dc1"));
    for (String seed : seeds) cmd.addAll(List.of("--seed", seed));
    if (configFile != null) cmd.addAll(List.of("--config", configFile.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    long mark = Files.exists(log) ? Files.size(log) : 0;
    process = pb.start();
    return mark;
  }

  private String tail(long from) throws IOException {
    byte[] all = Files.readAllBytes(log);
    return new String(all, (int) Math.min(from, all.length), (int) Math.max(0, all.length - from), StandardCharsets.UTF_8);
  }

  /** True while the node's JVM runs. */
  public boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The exit code of a node that has exited (143 after a SIGTERM it handled, 137 after a SIGKILL). */
  public int exitCode() {
    return process.exitValue();
  }

  /** The node's combined output so far (for failure messages). */
  public String output() throws IOException {
    return Files.exists(log) ? tail(0) : "";
  }

  /** The node JVM's process id. */
  public long pid() {
    return process.pid();
  }

  /** The file the node's combined output goes to. */
  public Path logFile() {
    return log;
  }

  /** SIGSTOP: the JVM stops dead (as in a very long GC pause); its sockets stay open. */
  public void pause() throws Exception {
    signal("STOP");
  }

  /** SIGCONT after {@link #pause()}. */
  public void resume() throws Exception {
    signal("CONT");
  }

  private void signal(String name) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
    if (kill.waitFor() != 0) {
      throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed: "
          + new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  /** Waits until the node's output (since it started) contains {@code text}; false if {@code timeout} passes. */
  public boolean awaitOutput(String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (output().contains(text)) return true;
      Thread.sleep(100);
    }
    return output().contains(text);
  }

  /** Waits for the JVM to exit by itself; its exit code, or empty if it still runs after {@code timeout}. */
  public OptionalInt awaitExit(Duration timeout) throws InterruptedException {
    if (process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) return OptionalInt.of(process.exitValue());
    return OptionalInt.empty();
  }

  /** SIGKILL: no shutdown hooks, no goodbye to the cluster or Cassandra. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
