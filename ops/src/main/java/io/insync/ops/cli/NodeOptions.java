package io.insync.ops.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.List;
import picocli.CommandLine.Option;

/** Options that shape a node's configuration, on top of application.conf. */
final class NodeOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "extra HOCON file, read before the options below")
  File config;

  @Option(names = "--port", description = "TCP SYNC port (default: insync.gateway.port, 7400)")
  Integer port;

  @Option(names = "--ws-port",
      description = "WebSocket SYNC port, path /sync (default: insync.gateway.websocket.port, 7401; 0 picks one)")
  Integer wsPort;

  @Option(names = "--host", description = "address the gateway binds (default 127.0.0.1)")
  String host;

  @Option(names = "--artery-port", description = "cluster (Artery) port (default 25520; 0 picks one)")
  Integer arteryPort;

  @Option(names = "--management-port",
      description = "management HTTP port: cluster routes, /ready, /alive (default: pekko.management.http.port, 8558; 0 picks one)")
  Integer managementPort;

  @Option(names = "--metrics-port",
      description = "Prometheus endpoint port, GET /metrics (default: insync.metrics.port, 9095; 0 picks one)")
  Integer metricsPort;

  @Option(names = "--cassandra", paramLabel = "HOST:PORT[,HOST:PORT...]", defaultValue = "${env:INSYNC_CASSANDRA}",
      description = "Cassandra contact point(s), comma-separated (default: env INSYNC_CASSANDRA, else "
          + "datastax-java-driver.basic.contact-points, 127.0.0.1:9042)")
  String cassandra;

  @Option(names = "--dc", description = "Cassandra data centre of this node (default dc1)")
  String datacenter;

  @Option(names = "--seed", paramLabel = "pekko://insync@HOST:PORT", description = "seed node(s); none = form a cluster of one")
  List<String> seeds;

  /** {@code "a:9042, b:9042"} as a list of contact points; a clear error for an empty one. */
  static List<String> contactPoints(String list) {
    List<String> points = java.util.Arrays.stream(list.split(",", -1)).map(String::strip).toList();
    if (points.isEmpty() || points.stream().anyMatch(String::isEmpty)) {
      throw new IllegalArgumentException("--cassandra (INSYNC_CASSANDRA) wants HOST:PORT[,HOST:PORT...] (got '" + list + "')");
    }
    return points;
  }

  Config build() {
    Config c = ConfigFactory.empty();
    if (port != null) c = c.withValue("insync.gateway.port", ConfigValueFactory.fromAnyRef(port));
    if (wsPort != null) c = c.withValue("insync.gateway.websocket.port", ConfigValueFactory.fromAnyRef(wsPort));
    if (host != null) c = c.withValue("insync.gateway.host", ConfigValueFactory.fromAnyRef(host));
    if (arteryPort != null) c = c.withValue("pekko.remote.artery.canonical.port", ConfigValueFactory.fromAnyRef(arteryPort));
    if (managementPort != null) {
      if (managementPort < 0 || managementPort > 65535) {
        throw new IllegalArgumentException("--management-port must be 0..65535 (was " + managementPort + ")");
      }
      c = c.withValue("pekko.management.http.port", ConfigValueFactory.fromAnyRef(managementPort));
    }
    if (metricsPort != null) {
      if (metricsPort < 0 || metricsPort > 65535) {
        throw new IllegalArgumentException("--metrics-port must be 0..65535 (was " + metricsPort + ")");
      }
      c = c.withValue("insync.metrics.port", ConfigValueFactory.fromAnyRef(metricsPort));
    }
    if (cassandra != null) {
      c = c.withValue("datastax-java-driver.basic.contact-points", ConfigValueFactory.fromIterable(contactPoints(cassandra)));
    }
    if (datacenter != null) {
      c = c.withValue("datastax-java-driver.basic.load-balancing-policy.local-datacenter",
          ConfigValueFactory.fromAnyRef(datacenter));
    }
    if (seeds != null) c = c.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(seeds));
    if (config != null) c = c.withFallback(ConfigFactory.parseFile(config));
    return c.withFallback(ConfigFactory.load()).resolve();
  }
}
