package io.insync.ops.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import com.typesafe.config.ConfigValueFactory;
import io.insync.ops.InsyncNode;
import io.insync.persistence.cassandra.CassandraLauncher;
import io.insync.persistence.cassandra.CqlSchema;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code bin/insync up}: Cassandra (started by us) plus one node, with dev settings. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start a complete local system: Cassandra (a child process) and one node. Ctrl-C stops both.")
final class UpCommand implements Callable<Integer> {

  @Option(names = "--data", defaultValue = "data", description = "folder for Cassandra's data and logs (default ./${DEFAULT-VALUE})")
  Path data;

  @Option(names = "--cassandra-port", defaultValue = "9042", description = "Cassandra CQL port (default ${DEFAULT-VALUE})")
  int cassandraPort;

  @Option(names = "--cassandra-storage-port", defaultValue = "7000", description = "Cassandra storage port (default ${DEFAULT-VALUE})")
  int storagePort;

  @Option(names = "--cassandra-heap", defaultValue = "1G", description = "Cassandra heap (default ${DEFAULT-VALUE})")
  String heap;

  @Mixin NodeOptions node;

  @Override
  public Integer call() throws Exception {
    CassandraLauncher cassandra = new CassandraLauncher(CassandraLauncher.Settings.defaults()
        .withDataDir(data.toAbsolutePath().resolve("cassandra"))
        .withNativePort(cassandraPort)
        .withStoragePort(storagePort)
        .withHeap(heap));
    System.out.println("starting Cassandra (data in " + cassandra.dataDir() + ") ...");
    cassandra.start();
    try (CqlSession s = cassandra.openSession()) {
      CqlSchema.apply(s, cassandra.datacenter(), 1);
    }
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
    System.out.println("  Cassandra  " + cassandra.host() + ":" + cassandra.nativePort() + " (log: " + cassandra.systemLog() + ")");
    System.out.println("  try:       bin/insync send --from alice --to bob --text hi ; bin/insync sync --user bob");
    System.out.println("ready");
    System.out.flush();
    n.system().getWhenTerminated().toCompletableFuture().join();
    cassandra.stop();
    return 0;
  }
}
