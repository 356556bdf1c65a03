package io.insync.ops.metrics;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Optional;
import kamon.Kamon;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kamon in the node process (docs/monitoring.md): started before the actor system exists, so the Kanela
 * agent instruments Pekko's classes as they load; with it, Kamon's Prometheus reporter serves {@code
 * GET /metrics} at {@code insync.metrics.host:port}. Started by {@code bin/insync node} and by {@code
 * bin/insync up} (one node in its JVM), never by {@link io.insync.ops.InsyncNode#start}, which tests also call in
 * their own JVM. Stopped by a JVM shutdown hook (Kamon's threads are daemons and never hold the JVM).
 */
public final class NodeMetrics {
  private static final Logger log = LoggerFactory.getLogger(NodeMetrics.class);

  private static volatile NodeMetrics started;

  private final InetSocketAddress prometheus;

  private NodeMetrics(InetSocketAddress prometheus) {
    this.prometheus = prometheus;
  }

  /**
   * Starts Kamon with {@code config} (the node's whole configuration) unless {@code insync.metrics.enabled}
   * is off; returns the endpoint's address. Once per JVM: a second call returns the first one's.
   */
  public static synchronized Optional<NodeMetrics> start(Config config) {
    if (started != null) return Optional.of(started);
    if (!config.getBoolean("insync.metrics.enabled")) {
      log.info("metrics are off (insync.metrics.enabled): no Prometheus endpoint, no alert rules");
      return Optional.empty();
    }
    String host = config.getString("insync.metrics.host");
    int port = config.getInt("insync.metrics.port");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("insync.metrics.port must be 0..65535 (was " + port + ")");
    }
    if (port == 0) port = freePort(host);
    else checkFree(host, port);
    Config kamon = config
        .withValue("kamon.prometheus.embedded-server.hostname", ConfigValueFactory.fromAnyRef(host))
        .withValue("kamon.prometheus.embedded-server.port", ConfigValueFactory.fromAnyRef(port));
    boolean agent = config.getBoolean("insync.metrics.instrumentation");
    long t0 = System.nanoTime();
    if (agent) Kamon.init(kamon);
    else Kamon.initWithoutAttaching(kamon);
    NodeMetrics m = new NodeMetrics(new InetSocketAddress(host, port));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        scala.concurrent.Await.result(Kamon.stop(), scala.concurrent.duration.Duration.apply(5, "s"));
      } catch (Exception | Error e) {
        // stopping is best effort: the process is going away
      }
    }, "insync-metrics-stop"));
    log.info("metrics: Prometheus endpoint {} (instrumentation agent {}, started in {} ms)",
        m.prometheusUrl(), agent ? "attached" : "off (insync.metrics.instrumentation)", (System.nanoTime() - t0) / 1_000_000);
    started = m;
    return Optional.of(m);
  }

  /** The Kamon started in this JVM, if any. */
  public static Optional<NodeMetrics> current() {
    return Optional.ofNullable(started);
  }

  public InetSocketAddress prometheusAddress() {
    return prometheus;
  }

  /** {@code http://host:port/metrics}. */
  public String prometheusUrl() {
    return "http://" + prometheus.getHostString() + ":" + prometheus.getPort() + "/metrics";
  }

  /** Kamon's embedded server logs a bind failure and carries on: refuse to start instead, naming the key. */
  private static void checkFree(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
    } catch (IOException e) {
      throw new IllegalStateException("the Prometheus endpoint cannot bind " + host + ":" + port + " (" + e.getMessage()
          + "): another node on this port? set --metrics-port or insync.metrics.port (INSYNC_METRICS_PORT)", e);
    }
  }

  private static int freePort(String host) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getByName(host), 0));
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free port for the Prometheus endpoint on " + host + ": " + e.getMessage(), e);
    }
  }
}
