package io.insync.ops.cli;

import io.insync.persistence.cassandra.CassandraLauncher;
import io.insync.persistence.cassandra.CqlSchema;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bin/insync cassandra}: only the local Cassandra, with the schema applied. */
@Command(name = "cassandra", mixinStandardHelpOptions = true,
    description = "Start a local Cassandra 5 (a child process) with insync's schema; Ctrl-C stops it.")
final class CassandraCommand implements Callable<Integer> {
  @Option(names = "--data", defaultValue = "data", description = "data folder (default ./${DEFAULT-VALUE})")
  Path data;

  @Option(names = "--port", defaultValue = "9042", description = "CQL port (default ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--storage-port", defaultValue = "7000", description = "storage port (default ${DEFAULT-VALUE})")
  int storagePort;

  @Option(names = "--heap", defaultValue = "1G", description = "heap (default ${DEFAULT-VALUE})")
  String heap;

  @Option(names = "--dc", defaultValue = "dc1", description = "data centre name (default ${DEFAULT-VALUE})")
  String dc;

  @Override
  public Integer call() throws Exception {
    CassandraLauncher c = new CassandraLauncher(CassandraLauncher.Settings.defaults()
        .withDataDir(data.toAbsolutePath().resolve("cassandra")).withNativePort(port)
        .withStoragePort(storagePort).withHeap(heap).withDatacenter(dc));
    c.start();
    try (var s = c.openSession()) {
      CqlSchema.apply(s, c.datacenter(), 1);
    }
    CountDownLatch done = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      c.stop();
      done.countDown();
    }));
    System.out.println("Cassandra ready on " + c.host() + ":" + c.nativePort() + " (dc " + c.datacenter()
        + ", pid " + c.pid() + ", log " + c.systemLog() + ")");
    System.out.flush();
    done.await();
    return 0;
  }
}
