package io.insync.ops.cli;

import io.insync.ops.InsyncNode;
import io.insync.persistence.cassandra.CassandraLauncher;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code bin/insync up}: Cassandra (started by us) plus one node, with dev settings. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start a complete local system: Cassandra (a child process) and one node. Ctrl-C stops both.")
final class UpCommand implements Callable<Integer> {

  @Mixin CassandraOptions cassandraOptions;

  @Mixin NodeOptions node;

  @Override
  public Integer call() throws Exception {
    CassandraLauncher cassandra = cassandraOptions.start();
    node.cassandra = cassandra.host() + ":" + cassandra.nativePort();
    node.datacenter = cassandra.datacenter();
    InsyncNode n;
    try {
      n = InsyncNode.start(node.build());
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
    System.out.println("  Cassandra  " + cassandra.host() + ":" + cassandra.nativePort() + " (log: " + cassandra.systemLog() + ")");
    System.out.println("  try:       bin/insync send --from alice --to bob --text hi ; bin/insync sync --user bob");
    System.out.println("ready");
    System.out.flush();
    n.system().getWhenTerminated().toCompletableFuture().join();
    cassandra.stop();
    return 0;
  }
}
