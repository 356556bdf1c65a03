package io.insync.gateway;

import com.typesafe.config.Config;
import java.time.Duration;

/** The gateway's settings, from {@code insync.gateway} (each key is explained in reference.conf). */
public record GatewaySettings(
    String host,
    int port,
    int maxFrameBytes,
    Duration authTimeout,
    Duration idleTimeout,
    int heartbeatSeconds,
    Duration requestTimeout,
    String tokenSecret,
    int maxConnections,
    int workerThreads,
    int stashCapacity) {

  public static GatewaySettings fromConfig(Config root) {
    Config c = root.getConfig("insync.gateway");
    return new GatewaySettings(
        c.getString("host"),
        c.getInt("port"),
        (int) c.getBytes("max-frame-bytes").longValue(),
        c.getDuration("auth-timeout"),
        c.getDuration("idle-timeout"),
        (int) c.getDuration("heartbeat-interval").toSeconds(),
        c.getDuration("request-timeout"),
        c.getString("token-secret"),
        c.getInt("max-connections"),
        c.getInt("worker-threads"),
        c.getInt("stash-capacity"));
  }
}
