package io.insync.loadtest;

import io.insync.core.auth.TokenSigner;
import java.time.Duration;
import java.util.Locale;

/**
 * A scenario's parameters, from system properties {@code insync.loadtest.*} (bin/insync loadtest sets them
 * from its options; {@code mvn gatling:test} passes {@code -D...}). See docs/loadtest.md for each.
 */
public record LoadParams(
    String host, int port, int users, double rate, Duration duration, String secret, int messages,
    int page, Duration heartbeat, Duration think, Duration timeout, String run) {

  /** The prefix of the system properties. */
  public static final String PREFIX = "insync.loadtest.";

  /** The parameters in force (properties, else defaults). */
  public static LoadParams fromSystemProperties() {
    String target = prop("target", "127.0.0.1:7401");
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      throw new IllegalArgumentException("insync.loadtest.target must be host:port, got '" + target + "'");
    }
    String secret = prop("secret", null);
    if (secret == null) {
      String env = System.getenv("INSYNC_TOKEN_SECRET");
      secret = env != null && !env.isEmpty() ? env : TokenSigner.DEV_SECRET;
    }
    LoadParams p = new LoadParams(
        target.substring(0, colon),
        Integer.parseInt(target.substring(colon + 1)),
        Integer.parseInt(prop("users", "10")),
        Double.parseDouble(prop("rate", "5")),
        duration(prop("duration", "30s")),
        secret,
        Integer.parseInt(prop("messages", "10")),
        Integer.parseInt(prop("page", "0")),
        duration(prop("heartbeat", "0s")),
        duration(prop("think", "100ms")),
        duration(prop("timeout", "10s")),
        prop("run", freshRunId()));
    p.validate();
    return p;
  }

  private void validate() {
    if (port <= 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
    if (users < 1) throw new IllegalArgumentException("insync.loadtest.users must be at least 1, got " + users);
    if (!(rate > 0)) throw new IllegalArgumentException("insync.loadtest.rate must be above 0, got " + rate);
    if (messages < 1) throw new IllegalArgumentException("insync.loadtest.messages must be at least 1, got " + messages);
    if (page < 0) throw new IllegalArgumentException("insync.loadtest.page must be 0 (server default) or more");
    if (!run.matches("[A-Za-z0-9]{1,16}")) throw new IllegalArgumentException("insync.loadtest.run must be 1-16 letters or digits");
  }

  /** The WebSocket URL of the SYNC endpoint. */
  public String url() {
    return "ws://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port + "/sync";
  }

  /** How long a ramp of {@code users} arrivals at {@code rate} per second takes. */
  public Duration rampTime() {
    return Duration.ofMillis(Math.round(users / rate * 1000));
  }

  /** A user id unique to this run, virtual user and role (valid: {@code [A-Za-z0-9._@-]{1,64}}). */
  public String userId(String scenario, long virtualUser, String role) {
    return "lt-" + run + "-" + scenario + "-" + virtualUser + "-" + role;
  }

  /** Time and process based: two load generators started together still get different users. */
  static String freshRunId() {
    return Long.toString(System.currentTimeMillis() % 100_000_000_000L, 36)
        + Long.toString(ProcessHandle.current().pid() % 1296, 36);
  }

  static String prop(String name, String dflt) {
    String v = System.getProperty(PREFIX + name);
    return v == null || v.isBlank() ? dflt : v.trim();
  }

  /** {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h}, or a plain number of seconds. */
  public static Duration duration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
      if (t.endsWith("s")) return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
      if (t.endsWith("m")) return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
      if (t.endsWith("h")) return Duration.ofHours(Long.parseLong(t.substring(0, t.length() - 1)));
      return Duration.ofMillis(Math.round(Double.parseDouble(t) * 1000));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a duration: '" + text + "' (examples: 30s, 500ms, 2m)");
    }
  }
}
