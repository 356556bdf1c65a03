package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Prometheus endpoint of a real node process (Kamon with its Kanela agent, as {@code bin/insync node} starts
 * it): after real traffic it serves insync's own series with the values the traffic implies, Kamon's actor and
 * group metrics (only there because the agent instrumented Pekko) and the JVM's; and the node still exits
 * promptly on SIGTERM with Kamon running (the scheduler-instrumentation trap in DEPENDENCIES.md).
 */
@ExtendWith(CassandraExtension.class)
class MetricsIT {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  static NodeProcess node;

  @BeforeAll
  static void start() throws Exception {
    node = new NodeProcess(CassandraExtension.host() + ":" + CassandraExtension.port(), "metrics");
    node.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void servesInsyncKamonAndJvmMetricsAndStillStopsOnSigterm() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String alice = "m-alice-" + run;
    String bob = "m-bob-" + run;
    try (TestDevice a = new TestDevice(alice, "phone", node.tcpPort()).connect();
        TestDevice b = new TestDevice(bob, "phone", node.tcpPort()).connect()) {
      for (int i = 0; i < 5; i++) {
        a.client.send("m" + i, bob, Envelopes.text("hello " + i)).get(20, TimeUnit.SECONDS);
      }
      // the same client message id again: answered from the inbox's dedup, not stored twice
      a.client.send("m0", bob, Envelopes.text("hello 0")).get(20, TimeUnit.SECONDS);
      b.awaitItems(5, Duration.ofSeconds(30));

      // Kamon publishes on its tick (5 s): wait for a snapshot that holds all six sends
      Map<String, Double> s = awaitScrape(Duration.ofSeconds(60),
          m -> value(m, "insync_sends_total{result=\"ok\"}") >= 6);
      assertEquals(6.0, value(s, "insync_sends_total{result=\"ok\"}"), "six sends answered ok: " + insync(s));
      assertTrue(value(s, "insync_dedup_hits_total") >= 1, "the repeated id is a dedup hit: " + insync(s));
      assertEquals(2.0, value(s, "insync_connections{transport=\"tcp\"}"), "two TCP connections open: " + insync(s));
      assertEquals(2.0, value(s, "insync_auth_total{result=\"ok\"}"), "two logins: " + insync(s));
      assertTrue(value(s, "insync_send_latency_seconds_count") >= 6, "send latency recorded: " + insync(s));
      assertTrue(value(s, "insync_journal_write_latency_seconds_count") >= 5, "journal writes timed: " + insync(s));
      assertTrue(value(s, "insync_entity_recoveries_total{type=\"user\",result=\"ok\"}") >= 2,
          "alice's and bob's entities recovered: " + insync(s));
      assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("pekko_group_")),
          "Kamon's actor-group metrics (the agent instrumented Pekko): " + names(s));
      assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("pekko_group_") && k.contains("user-entities")),
          "the user entities are tracked as one group: " + names(s));
      assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("jvm_memory")), "JVM metrics: " + names(s));
      assertTrue(value(s, "insync_journal_read_latency_seconds_count") >= 2, "recovery reads timed: " + insync(s));

      // the shipped Grafana dashboard names only series this node really serves (Kamon's sampled JVM gauges
      // have their first samples a tick or two after start: wait for them, up to a minute)
      java.util.Set<String> referenced = DashboardQueries.metricNames(DashboardQueries.SHIPPED);
      java.util.Set<String> missing = dashboardMissing(referenced);
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!missing.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(500);
        missing = dashboardMissing(referenced);
      }
      assertTrue(missing.isEmpty(), "the dashboard names series the node does not export: " + missing);
    }
    // with both clients gone the gauge falls back to zero
    Map<String, Double> after = awaitScrape(Duration.ofSeconds(60),
        m -> value(m, "insync_connections{transport=\"tcp\"}") == 0);
    assertEquals(0.0, value(after, "insync_connections{transport=\"tcp\"}"));

    node.close(); // SIGTERM, then up to 30 s before a SIGKILL
    OptionalInt code = node.awaitExit(Duration.ZERO);
    assertEquals(OptionalInt.of(143), code, "the node exits by itself on SIGTERM with Kamon running: " + node.output());
  }

  private static java.util.Set<String> dashboardMissing(java.util.Set<String> referenced) throws Exception {
    java.util.Set<String> missing = new java.util.TreeSet<>(
        DashboardQueries.missing(referenced, DashboardQueries.sampleNames(scrapeBody())));
    missing.removeAll(DashboardQueries.APPEAR_ON_FIRST_USE);
    return missing;
  }

  /** Samples of one scrape, keyed by the series as written (name plus labels); NaN-safe. */
  static Map<String, Double> scrape() throws Exception {
    return parse(scrapeBody());
  }

  static String scrapeBody() throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.metricsPort() + "/metrics"))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return r.body();
  }

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /**
   * Prometheus text format; labels are kept only if a test names them (result, transport, type, code, group
   * names), in a fixed order, so that keys do not depend on Kamon's extra tags.
   */
  static Map<String, Double> parse(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.startsWith("#") || line.isBlank()) continue;
      Matcher m = SAMPLE.matcher(line);
      if (!m.find()) continue;
      StringBuilder key = new StringBuilder(m.group(1));
      if (m.group(2) != null) {
        Map<String, String> labels = new LinkedHashMap<>();
        Matcher l = LABEL.matcher(m.group(2));
        while (l.find()) labels.put(l.group(1), l.group(2));
        StringBuilder kept = new StringBuilder();
        for (String name : new String[] {"transport", "type", "result", "code", "op", "group", "le"}) {
          if (labels.containsKey(name)) {
            if (kept.length() > 0) kept.append(',');
            kept.append(name).append("=\"").append(labels.get(name)).append('"');
          }
        }
        if (kept.length() > 0) key.append('{').append(kept).append('}');
      }
      double v;
      try {
        v = Double.parseDouble(m.group(3));
      } catch (NumberFormatException e) {
        continue;
      }
      out.merge(key.toString(), v, Double::sum);
    }
    return out;
  }

  static double value(Map<String, Double> samples, String key) {
    return samples.getOrDefault(key, 0.0);
  }

  interface Check {
    boolean ok(Map<String, Double> samples);
  }

  static Map<String, Double> awaitScrape(Duration timeout, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Double> last = scrape();
    while (!check.ok(last) && System.nanoTime() < deadline) {
      Thread.sleep(250);
      last = scrape();
    }
    return last;
  }

  private static String insync(Map<String, Double> s) {
    StringBuilder b = new StringBuilder();
    s.forEach((k, v) -> {
      if (k.startsWith("insync_") && !k.contains("_bucket")) b.append(k).append('=').append(v).append(' ');
    });
    return b.toString();
  }

  private static String names(Map<String, Double> s) {
    return String.join(" ", s.keySet().stream().map(k -> k.replaceAll("\\{.*", "")).distinct().sorted().toList());
  }
}
