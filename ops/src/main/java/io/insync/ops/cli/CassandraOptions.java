package io.insync.ops.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import io.insync.persistence.cassandra.CassandraLauncher;
import io.insync.persistence.cassandra.CqlSchema;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The local Cassandra that `up` and `cassandra` start (a child process), with the schema applied. */
final class CassandraOptions {
  @Option(names = "--data", defaultValue = "data",
      description = "folder for Cassandra's data and logs (default ./${DEFAULT-VALUE}; kept across restarts)")
  Path data;

  @Option(names = "--cassandra-port", defaultValue = "9042", description = "CQL port (default ${DEFAULT-VALUE})")
  int port;

  @Option(names = "--cassandra-storage-port", defaultValue = "7000", description = "storage port (default ${DEFAULT-VALUE})")
  int storagePort;

  @Option(names = "--cassandra-heap", defaultValue = "1G", description = "Cassandra's heap (default ${DEFAULT-VALUE})")
  String heap;

  @Option(names = "--cassandra-dc", defaultValue = "dc1", description = "Cassandra data centre name (default ${DEFAULT-VALUE})")
  String datacenter;

  /** Starts Cassandra, waits for CQL, applies insync's schema (replication 1: one local node). */
  CassandraLauncher start() {
    CassandraLauncher c = new CassandraLauncher(CassandraLauncher.Settings.defaults()
        .withDataDir(data.toAbsolutePath().resolve("cassandra"))
        .withNativePort(port)
        .withStoragePort(storagePort)
        .withHeap(heap)
        .withDatacenter(datacenter));
    System.out.println("starting Cassandra (data in " + c.dataDir() + ") ...");
    c.start();
    try (CqlSession s = c.openSession()) {
      CqlSchema.apply(s, c.datacenter(), 1);
    } catch (RuntimeException e) {
      c.stop();
      throw e;
    }
    return c;
  }
}
