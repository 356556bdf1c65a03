package io.insync.ops.cli;

import com.typesafe.config.Config;
import io.insync.ops.InsyncNode;
import io.insync.ops.metrics.NodeMetrics;
import io.insync.persistence.cassandra.CassandraLauncher;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/insync up}: Cassandra (started by us) plus one node in this JVM, or with {@code --nodes
 * N} N node processes forming one cluster; dev settings.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = {"Start a complete local system: Cassandra (a child process) and one node, or with --nodes N a "
        + "cluster of N node processes (node 1 is the seed). Ctrl-C stops all nodes, then Cassandra.",
        "Ports of node i (1-based) with --nodes: TCP --port + 10(i-1), WebSocket --ws-port + 10(i-1), "
            + "Artery --artery-port + (i-1), management 8558 + (i-1) (-Dpekko.management.http.port sets the base), "
            + "Prometheus --metrics-port + (i-1) (default 9095); "
            + "node logs in DATA/nodes/node-i.log."})
final class UpCommand implements Callable<Integer> {
  private static final int DEFAULT_TCP = 7400;
  private static final int DEFAULT_WS = 7401;
  private static final int DEFAULT_ARTERY = 25520;
  private static final int DEFAULT_MANAGEMENT = 8558;
  private static final int MAX_NODES = 9;

  @Spec CommandLine.Model.CommandSpec spec;

  @Mixin CassandraOptions cassandraOptions;

  @Mixin NodeOptions node;

  @Option(names = "--nodes", defaultValue = "1",
      description = "number of nodes (1-" + MAX_NODES + "; default ${DEFAULT-VALUE}: one node in this JVM; more: "
          + "one JVM per node)")
  int nodes;

  @Option(names = "--node-heap", defaultValue = "512m",
      description = "heap of each node process with --nodes > 1 (default ${DEFAULT-VALUE})")
  String nodeHeap;

  @Override
  public Integer call() throws Exception {
    if (nodes < 1 || nodes > MAX_NODES) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--nodes must be between 1 and " + MAX_NODES + ", got " + nodes);
    }
    if (nodes == 1) return oneNodeInProcess();
    if (node.seeds != null && !node.seeds.isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--seed is not for up --nodes: node 1 is the seed of the cluster up starts (use `insync node --seed` "
              + "to join an existing cluster)");
    }
    if (node.arteryPort != null && node.arteryPort == 0) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--artery-port 0 does not work with --nodes: the nodes must know the seed's port in advance");
    }
    if (!nodeHeap.matches("\\d+[kKmMgG]?")) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--node-heap must look like 512m or 2g, got " + nodeHeap);
    }
    return cluster();
  }

  private int oneNodeInProcess() throws Exception {
    CassandraLauncher cassandra = cassandraOptions.start();
    node.cassandra = cassandra.host() + ":" + cassandra.nativePort();
    node.datacenter = cassandra.datacenter();
    InsyncNode n;
    Optional<NodeMetrics> metrics;
    try {
      Config config = node.build();
      metrics = NodeMetrics.start(config);
      n = InsyncNode.start(config);
    } catch (Exception e) {
      cassandra.stop();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      n.close();
      cassandra.stop();
      stopped.countDown();
    }, "insync-up-stop"));
    System.out.println("insync is up");
    System.out.println("  TCP SYNC   " + n.tcpAddress().getHostString() + ":" + n.tcpAddress().getPort());
    n.webSocketAddress().ifPresent(ws -> System.out.println(
        "  WebSocket  ws://" + ws.getHostString() + ":" + ws.getPort() + n.webSocketPath()));
    System.out.println("  management " + n.managementUrl());
    System.out.println("  console    " + n.managementUrl() + "/console/");
    metrics.ifPresent(m -> System.out.println("  metrics    " + m.prometheusUrl()));
    System.out.println("  Cassandra  " + cassandra.host() + ":" + cassandra.nativePort() + " (log: " + cassandra.systemLog() + ")");
    System.out.println("  try:       bin/insync send --from alice --to bob --text hi ; bin/insync sync --user bob");
    System.out.println("ready");
    System.out.flush();
    n.system().getWhenTerminated().toCompletableFuture().join();
    cassandra.stop();
    return 0;
  }

  /** Cassandra here, N nodes as child processes; returns when they are stopped (or all died). */
  private int cluster() throws Exception {
    CassandraLauncher cassandra = cassandraOptions.start();
    LocalCluster local = new LocalCluster(System.err);
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      local.stopAll();
      cassandra.stop();
      stopped.countDown();
    }, "insync-up-stop");
    Runtime.getRuntime().addShutdownHook(hook);

    Config config = node.build();
    String arteryHost = config.getString("pekko.remote.artery.canonical.hostname");
    int tcpBase = node.port != null ? node.port : DEFAULT_TCP;
    int wsBase = node.wsPort != null ? node.wsPort : DEFAULT_WS;
    int arteryBase = node.arteryPort != null ? node.arteryPort : DEFAULT_ARTERY;
    int managementBase = Integer.getInteger("pekko.management.http.port", DEFAULT_MANAGEMENT);
    int metricsBase = node.metricsPort != null ? node.metricsPort : config.getInt("insync.metrics.port");
    String seed = "pekko://insync@" + arteryHost + ":" + arteryBase;
    Path logs = cassandraOptions.data.toAbsolutePath().resolve("nodes");
    try {
      for (int i = 1; i <= nodes; i++) {
        LocalCluster.Ports p = LocalCluster.Ports.of(i, tcpBase, wsBase, arteryBase, managementBase, metricsBase);
        List<String> args = new ArrayList<>(List.of(
            "--port", String.valueOf(p.tcp()), "--ws-port", String.valueOf(p.ws()),
            "--artery-port", String.valueOf(p.artery()), "--metrics-port", String.valueOf(p.metrics()),
            "--cassandra", cassandra.host() + ":" + cassandra.nativePort(), "--dc", cassandra.datacenter(),
            "--seed", seed));
        if (node.host != null) args.addAll(List.of("--host", node.host));
        if (node.config != null) args.addAll(List.of("--config", node.config.getAbsolutePath()));
        LocalCluster.Node n = local.start(i, p, List.of("-Xmx" + nodeHeap), args, logs.resolve("node-" + i + ".log"));
        System.out.println("starting node " + i + " (pid " + n.process.pid() + ", log " + n.log + ") ...");
        System.out.flush();
        // one after the other: several JVMs starting at once on a small machine delay each other's
        // heartbeats past the failure detector, and the split brain resolver breaks the young cluster up
        local.awaitReady(n, Duration.ofSeconds(180));
      }
    } catch (Exception e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      local.stopAll();
      cassandra.stop();
      throw e;
    }

    System.out.println("insync is up: " + nodes + " nodes in one cluster");
    for (LocalCluster.Node n : local.nodes()) {
      System.out.println("  node " + n.index + " (pid " + n.process.pid() + (n.index == 1 ? ", seed" : "") + ")");
      System.out.println("    TCP SYNC   " + n.tcp);
      System.out.println("    WebSocket  " + n.ws);
      System.out.println("    cluster    " + n.cluster);
      if (n.management != null) System.out.println("    management " + n.management);
      if (n.metrics != null) System.out.println("    metrics    " + n.metrics);
      System.out.println("    log        " + n.log);
    }
    System.out.println("  Cassandra  " + cassandra.host() + ":" + cassandra.nativePort() + " (log: " + cassandra.systemLog() + ")");
    String servers = local.nodes().stream().map(n -> n.tcp).collect(Collectors.joining(","));
    System.out.println("  try:       bin/insync send --server " + servers + " --from alice --to bob --text hi ; "
        + "bin/insync sync --server " + servers + " --user bob");
    System.out.println("ready");
    System.out.flush();

    local.allExited().join();
    if (stopped.getCount() == 0 || isShuttingDown()) {
      stopped.await();
      return 0;
    }
    System.err.println("every node has exited; stopping Cassandra");
    Runtime.getRuntime().removeShutdownHook(hook);
    cassandra.stop();
    return 1;
  }

  /** True if the JVM is already running its shutdown hooks (removeShutdownHook then throws). */
  private static boolean isShuttingDown() {
    try {
      Thread probe = new Thread(() -> {});
      Runtime.getRuntime().addShutdownHook(probe);
      Runtime.getRuntime().removeShutdownHook(probe);
      return false;
    } catch (IllegalStateException e) {
      return true;
    }
  }
}
