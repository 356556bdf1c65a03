package io.insync.ops.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The node processes of {@code insync up --nodes N}: each a JVM of its own, started as {@code java
 * -cp <this classpath> ParentWatchdog InsyncCli node ...} (so it never outlives {@code up}, even
 * after a SIGKILL of {@code up}), its output in a log file of its own, watched for its ready line
 * and for its exit. Node 1 is the seed; the others join through it.
 */
final class LocalCluster {
  /** What the node logs when its client ports are open; the addresses are taken from it. */
  static final Pattern READY = Pattern.compile(
      "insync node ready: TCP SYNC (\\S+), WebSocket SYNC (\\S+),(?: management (\\S+),)? cluster address (\\S+)");
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  /** What a node logs when its Prometheus endpoint is up (io.insync.ops.metrics.NodeMetrics). */
  static final Pattern METRICS = Pattern.compile("metrics: Prometheus endpoint (\\S+)");

  /** Ports of node {@code i} (1-based): TCP and WebSocket step by 10, Artery, management and metrics by 1. */
  record Ports(int tcp, int ws, int artery, int management, int metrics) {
    static Ports of(int i, int tcpBase, int wsBase, int arteryBase, int managementBase, int metricsBase) {
      int k = i - 1;
      return new Ports(tcpBase == 0 ? 0 : tcpBase + 10 * k, wsBase == 0 ? 0 : wsBase + 10 * k,
          arteryBase + k, managementBase == 0 ? 0 : managementBase + k, metricsBase == 0 ? 0 : metricsBase + k);
    }
  }

  /** One node process. */
  static final class Node {
    final int index;
    final Ports ports;
    final Path log;
    final Process process;
    final CompletableFuture<String> ready = new CompletableFuture<>();
    volatile String tcp;
    volatile String ws;
    volatile String cluster;
    volatile String management;
    volatile String metrics;

    Node(int index, Ports ports, Path log, Process process) {
      this.index = index;
      this.ports = ports;
      this.log = log;
      this.process = process;
    }
  }

  private final List<Node> nodes = new ArrayList<>();
  private final PrintStream err;
  private volatile boolean stopping;

  LocalCluster(PrintStream err) {
    this.err = err;
  }

  List<Node> nodes() {
    return List.copyOf(nodes);
  }

  /**
   * Starts node {@code index} with {@code nodeArgs} (the arguments of {@code insync node}); the JVM
   * gets this JVM's options, then {@code jvmArgs} (which win); its combined output goes to {@code log}.
   */
  Node start(int index, Ports ports, List<String> jvmArgs, List<String> nodeArgs, Path log) throws IOException {
    Files.createDirectories(log.toAbsolutePath().getParent());
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(inheritedJvmArgs());
    cmd.addAll(jvmArgs);
    if (ports.management() > 0) cmd.add("-Dpekko.management.http.port=" + ports.management());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.insync.persistence.cassandra.ParentWatchdog");
    cmd.add(InsyncCli.class.getName());
    cmd.add("node");
    cmd.addAll(nodeArgs);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.PIPE) // kept open and never written: ParentWatchdog's lifeline
        .start();
    Node n = new Node(index, ports, log, p);
    nodes.add(n);
    Thread pump = new Thread(() -> pump(n), "insync-up-node-" + index);
    pump.setDaemon(true);
    pump.start();
    p.onExit().thenAccept(done -> exited(n));
    return n;
  }

  /** The JVM options {@code up} itself runs with (heap, -D settings), except debugger agents. */
  static List<String> inheritedJvmArgs() {
    List<String> out = new ArrayList<>();
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-agentlib:jdwp") || a.startsWith("-Xrunjdwp") || a.startsWith("-Dpekko.management.http.port=")) {
        continue;
      }
      out.add(a);
    }
    return out;
  }

  private void pump(Node n) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(n.process.getInputStream(), StandardCharsets.UTF_8));
        Writer out = Files.newBufferedWriter(n.log, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
      String line;
      while ((line = in.readLine()) != null) {
        out.write(line);
        out.write('\n');
        out.flush();
        if (n.metrics == null) {
          Matcher mm = METRICS.matcher(line);
          if (mm.find()) n.metrics = mm.group(1);
        }
        if (!n.ready.isDone()) {
          Matcher m = READY.matcher(line);
          if (m.find()) {
            n.tcp = m.group(1);
            n.ws = m.group(2);
            n.management = m.group(3); // null from a node without management HTTP
            n.cluster = m.group(4);
            n.ready.complete(line);
          }
        }
      }
    } catch (IOException e) {
      // the process is gone; exited() reports it
    }
  }

  private void exited(Node n) {
    int code = n.process.exitValue();
    if (!n.ready.isDone()) {
      n.ready.completeExceptionally(new IllegalStateException(
          "node " + n.index + " (pid " + n.process.pid() + ") exited with code " + code + " before it was ready; see "
              + n.log + lastLines(n.log)));
    } else if (!stopping) {
      err.println("node " + n.index + " (pid " + n.process.pid() + ") exited with code " + code
          + "; the other nodes keep running (its log: " + n.log + ")");
      err.flush();
    }
  }

  /** Waits for one node's ready line, within {@code timeout}; fails (with its last lines) if it exits first or is late. */
  void awaitReady(Node n, Duration timeout) throws Exception {
    awaitReady(n, timeout, System.nanoTime() + timeout.toNanos());
  }

  private void awaitReady(Node n, Duration timeout, long deadline) throws Exception {
    long left = deadline - System.nanoTime();
    try {
      n.ready.get(Math.max(1, left), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("node " + n.index + " was not ready within " + timeout.toSeconds() + " s; see "
          + n.log + lastLines(n.log));
    } catch (java.util.concurrent.ExecutionException e) {
      throw (Exception) e.getCause();
    }
  }

  /** SIGTERM to every node at once (they leave the cluster and stop), SIGKILL after a minute. */
  void stopAll() {
    stopping = true;
    for (Node n : nodes) if (n.process.isAlive()) n.process.destroy();
    long deadline = System.nanoTime() + STOP_TIMEOUT.toNanos();
    for (Node n : nodes) {
      try {
        if (!n.process.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          err.println("node " + n.index + " (pid " + n.process.pid() + ") did not stop within "
              + STOP_TIMEOUT.toSeconds() + " s; killing it");
          n.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        n.process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Completes when every node process has exited. */
  CompletableFuture<Void> allExited() {
    return CompletableFuture.allOf(nodes.stream().map(n -> n.process.onExit()).toArray(CompletableFuture[]::new));
  }

  private static String lastLines(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return ":\n  " + String.join("\n  ", lines.subList(Math.max(0, lines.size() - 15), lines.size()));
    } catch (IOException e) {
      return "";
    }
  }
}
