package io.insync.ops.cli;

import com.datastax.oss.driver.api.core.CqlSession;
import io.insync.persistence.cassandra.CqlSchema;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code bin/insync schema}: applies insync's CQL schema (every statement IF NOT EXISTS) to a running
 * Cassandra, with the keyspaces replicated in the data centres given. What an operator runs once per
 * Cassandra cluster before the first node starts; on Kubernetes, the schema Job (k8s/base).
 */
@Command(name = "schema", mixinStandardHelpOptions = true,
    description = "Apply insync's CQL schema to a running Cassandra (harmless if applied before: an existing "
        + "keyspace keeps its replication).")
final class SchemaCommand implements Callable<Integer> {
  @Option(names = "--cassandra", paramLabel = "HOST:PORT[,HOST:PORT...]", defaultValue = "${env:INSYNC_CASSANDRA:-127.0.0.1:9042}",
      description = "Cassandra contact point(s) (default: env INSYNC_CASSANDRA, else ${DEFAULT-VALUE})")
  String cassandra;

  @Option(names = "--dc", defaultValue = "${env:INSYNC_CASSANDRA_DC:-dc1}",
      description = "the data centre of the contact points (default: env INSYNC_CASSANDRA_DC, else ${DEFAULT-VALUE})")
  String datacenter;

  @Option(names = "--replication", paramLabel = "DC=N[,DC=N...]", required = true,
      description = "replicas per data centre, every IDC named as its snitch reports it, e.g. dc1=3,dc2=3")
  String replication;

  @Option(names = "--timeout", defaultValue = "120s", converter = DurationConverter.class,
      description = "how long to keep trying to reach Cassandra (default ${DEFAULT-VALUE})")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    Map<String, Integer> factors = parseReplication(replication);
    List<InetSocketAddress> points = NodeOptions.contactPoints(cassandra).stream().map(SchemaCommand::address).toList();
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (CqlSession session = CqlSession.builder().addContactPoints(points).withLocalDatacenter(datacenter).build()) {
        CqlSchema.apply(session, factors);
        System.out.println("schema applied on " + cassandra + " (replication " + factors + ")");
        return 0;
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) throw e;
        System.err.println("Cassandra not reachable yet (" + e.getMessage() + "); retrying");
        Thread.sleep(2000);
      }
    }
  }

  /** {@code dc1=3,dc2=3} as a map, in the order given; a clear error for anything else. */
  static Map<String, Integer> parseReplication(String s) {
    Map<String, Integer> out = new LinkedHashMap<>();
    for (String part : s.split(",", -1)) {
      String[] kv = part.strip().split("=");
      if (kv.length != 2 || kv[0].isBlank()) {
        throw new IllegalArgumentException("--replication wants DC=N[,DC=N...], e.g. dc1=3,dc2=3 (got '" + s + "')");
      }
      try {
        out.put(kv[0].strip(), Integer.parseInt(kv[1].strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--replication: '" + kv[1] + "' is not a number of replicas (in '" + s + "')");
      }
    }
    return out;
  }

  private static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) return InetSocketAddress.createUnresolved(hostPort, 9042);
    return InetSocketAddress.createUnresolved(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }
}
