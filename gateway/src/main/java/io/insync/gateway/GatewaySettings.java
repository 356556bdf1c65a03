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
    int stashCapacity,
    Backpressure backpressure,
    AdmissionBounds admission,
    RetryAfter retryAfter,
    WebSocket webSocket,
    Duration entityAttemptTimeout,
    Leave leave) {

  public GatewaySettings {
    if (entityAttemptTimeout.isNegative() || entityAttemptTimeout.isZero()) {
      throw new IllegalArgumentException("insync.gateway.entity-attempt-timeout must be positive: " + entityAttemptTimeout);
    }
  }

  /**
   * {@code insync.gateway.leave}: a graceful leave. {@code advertiseHost} is the host other
   * gateways name in a Redirect for this one ("" = the bind host).
   */
  public record Leave(Duration grace, int retryAfterMs, String advertiseHost) {
    public Leave {
      if (grace.isNegative()) throw new IllegalArgumentException("insync.gateway.leave.grace must not be negative: " + grace);
    }
  }

  /** {@code insync.gateway.websocket}: the WebSocket listener (same host as TCP). */
  public record WebSocket(boolean enabled, int port, String path) {
    public WebSocket {
      if (!path.startsWith("/")) throw new IllegalArgumentException("websocket.path must start with '/': " + path);
    }
  }

  /** {@code insync.gateway.backpressure}: when a connection is not read. */
  public record Backpressure(int maxOutstanding, int resumeOutstanding, int writeHighWaterMark,
      int writeLowWaterMark) {
    public Backpressure {
      if (maxOutstanding < 1) throw new IllegalArgumentException("backpressure.max-outstanding must be >= 1");
      if (resumeOutstanding < 0 || resumeOutstanding >= maxOutstanding) {
        throw new IllegalArgumentException("backpressure.resume-outstanding must be in [0, max-outstanding)");
      }
      if (writeLowWaterMark < 0 || writeLowWaterMark > writeHighWaterMark) {
        throw new IllegalArgumentException("backpressure.write-buffer-low-water-mark must be <= the high-water mark");
      }
    }
  }

  /** {@code insync.gateway.admission}: the node-wide bound on requests in flight to entities. */
  public record AdmissionBounds(int maxInFlight, int authMaxInFlight, int retryMaxInFlight,
      java.time.Duration retryLatencyTarget) {
    /** Bounds with the default latency target (50 ms). */
    public AdmissionBounds(int maxInFlight, int authMaxInFlight, int retryMaxInFlight) {
      this(maxInFlight, authMaxInFlight, retryMaxInFlight, java.time.Duration.ofMillis(50));
    }

    public AdmissionBounds {
      if (maxInFlight < 1 || authMaxInFlight < 1 || retryMaxInFlight < 1) {
        throw new IllegalArgumentException("admission bounds must be >= 1");
      }
      if (authMaxInFlight > maxInFlight || retryMaxInFlight > maxInFlight) {
        throw new IllegalArgumentException(
            "admission.auth-max-in-flight and retry-max-in-flight must not exceed max-in-flight");
      }
    }
  }

  /** {@code insync.gateway.retry-after}, in milliseconds. */
  public record RetryAfter(int nodeBusy, int authRefused, int entityTimeout, int stashFull, int gatewayFull) {}

  /**
   * The token verifier of {@code root}'s {@code insync.gateway}: the v2 key ring of {@code token-keys} (signing
   * with {@code token-signing-key}) and v1 tokens under {@code token-secret} unless it is empty.
   *
   * @throws IllegalArgumentException naming the key when the keys are malformed or there is none at all
   */
  public static io.insync.core.auth.TokenSigner tokenSigner(Config root) {
    Config c = root.getConfig("insync.gateway");
    try {
      return io.insync.core.auth.TokenSigner.keyRing(io.insync.core.auth.TokenSigner.parseKeys(c.getString("token-keys")),
          c.getString("token-signing-key"), c.getString("token-secret"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("insync.gateway.token-keys / token-signing-key / token-secret: " + e.getMessage(), e);
    }
  }

  public static GatewaySettings fromConfig(Config root) {
    Config c = root.getConfig("insync.gateway");
    Config bp = c.getConfig("backpressure");
    Config ad = c.getConfig("admission");
    Config ra = c.getConfig("retry-after");
    Config ws = c.getConfig("websocket");
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
        c.getInt("stash-capacity"),
        new Backpressure(bp.getInt("max-outstanding"), bp.getInt("resume-outstanding"),
            (int) bp.getBytes("write-buffer-high-water-mark").longValue(),
            (int) bp.getBytes("write-buffer-low-water-mark").longValue()),
        new AdmissionBounds(ad.getInt("max-in-flight"), ad.getInt("auth-max-in-flight"),
            ad.getInt("retry-max-in-flight"), ad.getDuration("retry-latency-target")),
        new RetryAfter(millis(ra, "node-busy"), millis(ra, "auth-refused"), millis(ra, "entity-timeout"),
            millis(ra, "stash-full"), millis(ra, "gateway-full")),
        new WebSocket(ws.getBoolean("enabled"), ws.getInt("port"), ws.getString("path")),
        c.getDuration("entity-attempt-timeout"),
        new Leave(c.getDuration("leave.grace"), millis(c, "leave.retry-after"), c.getString("leave.advertise-host")));
  }

  private static int millis(Config c, String key) {
    return (int) Math.min(Integer.MAX_VALUE, c.getDuration(key).toMillis());
  }
}
