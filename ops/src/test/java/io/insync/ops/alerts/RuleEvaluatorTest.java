package io.insync.ops.alerts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.insync.cluster.alerts.AlertNotifier.RuleState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Rules on synthetic ticks of 5 s: each kind fires when its figure crosses the threshold and only then. */
class RuleEvaluatorTest {
  static final long TICK = 5_000;

  static AlertRule rule(String hocon) {
    return AlertRule.parse("r", ConfigFactory.parseString(hocon));
  }

  /** A tick ending at {@code n * 5 s}. */
  static final class T {
    final long n;
    final List<MetricTick.Series> counters = new ArrayList<>();
    final List<MetricTick.Series> gauges = new ArrayList<>();
    final List<MetricTick.Dist> dists = new ArrayList<>();

    T(long n) {
      this.n = n;
    }

    T counter(String name, double v, String... tags) {
      counters.add(new MetricTick.Series(name, tags(tags), v));
      return this;
    }

    T gauge(String name, double v, String... tags) {
      gauges.add(new MetricTick.Series(name, tags(tags), v));
      return this;
    }

    T dist(String name, double value, long count, String... tags) {
      dists.add(new MetricTick.Dist(name, tags(tags), new double[] {value}, new long[] {count}));
      return this;
    }

    MetricTick tick() {
      return new MetricTick((n - 1) * TICK, n * TICK, counters, gauges, dists);
    }

    static Map<String, String> tags(String... kv) {
      Map<String, String> m = new java.util.LinkedHashMap<>();
      for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
      return m;
    }
  }

  @Test
  void countOverAWindowFiresOnTheFirstFailureAndResolvesWhenTheWindowHasPassed() {
    RuleEvaluator e = new RuleEvaluator(rule("metric = f, stat = count, window = 15s, above = 0"));
    assertFalse(e.observe(new T(1).tick()).firing(), "no series yet");
    assertFalse(e.observe(new T(2).counter("f", 0, "op", "write").tick()).firing());
    RuleState s = e.observe(new T(3).counter("f", 2, "op", "write").counter("f", 1, "op", "read").tick());
    assertTrue(s.firing());
    assertEquals(3.0, s.value());
    assertTrue(e.observe(new T(4).counter("f", 0).tick()).firing(), "still in the window");
    assertTrue(e.observe(new T(5).counter("f", 0).tick()).firing(), "still in the window");
    assertFalse(e.observe(new T(6).counter("f", 0).tick()).firing(), "the failing tick is 15 s old: out");
  }

  @Test
  void ratioNeedsItsMinimumCountAndComparesTheIncreases() {
    RuleEvaluator e = new RuleEvaluator(rule("metric = err, over = req, stat = count, window = 10s, above = 0.05, min-count = 20"));
    assertFalse(e.observe(new T(1).counter("err", 5).counter("req", 10).tick()).firing(), "10 requests: below min-count");
    RuleState s = e.observe(new T(2).counter("err", 1).counter("req", 90).tick());
    assertTrue(s.firing(), "6 of 100");
    assertEquals(0.06, s.value(), 1e-9);
    assertFalse(e.observe(new T(3).counter("err", 0).counter("req", 100).tick()).firing(), "1 of 190");
  }

  @Test
  void tagFiltersSelectAndExclude() {
    RuleEvaluator e = new RuleEvaluator(rule("metric = err, stat = count, above = 2, tags { code = \"!RATE_LIMITED\" }"));
    assertFalse(e.observe(new T(1).counter("err", 10, "code", "RATE_LIMITED").counter("err", 2, "code", "UNAVAILABLE").tick())
        .firing());
    assertTrue(e.observe(new T(2).counter("err", 1, "code", "UNAVAILABLE").tick()).firing());
  }

  @Test
  void rateIsPerSecondOverTheCoveredTicks() {
    RuleEvaluator e = new RuleEvaluator(rule("metric = c, stat = rate, window = 10s, above = 9"));
    RuleState s = e.observe(new T(1).counter("c", 50).tick());
    assertEquals(10.0, s.value(), 1e-9);
    assertTrue(s.firing());
    s = e.observe(new T(2).counter("c", 30).tick());
    assertEquals(8.0, s.value(), 1e-9, "80 in 10 s");
    assertFalse(s.firing());
  }

  @Test
  void percentileOverTheWindowMergesTicks() {
    RuleEvaluator e = new RuleEvaluator(rule("metric = lat, stat = percentile, percentile = 0.99, window = 10s, above = 1.0, min-count = 100"));
    assertFalse(e.observe(new T(1).dist("lat", 0.01, 50).dist("lat", 3.0, 1).tick()).firing(), "51 values: below min-count");
    RuleState s = e.observe(new T(2).dist("lat", 0.01, 100).tick());
    assertEquals(0.01, s.value(), 1e-9, "1 slow in 151: p99 is fast");
    assertFalse(s.firing());
    s = e.observe(new T(3).dist("lat", 2.0, 5).tick());
    assertEquals(2.0, s.value(), 1e-9, "5 slow in 105");
    assertTrue(s.firing());
  }

  @Test
  void changeIsTheGaugesGrowthOverTheWindow() {
    RuleEvaluator e = new RuleEvaluator(rule("metric = pending, stat = change, window = 20s, above = 100"));
    assertFalse(e.observe(new T(1).gauge("pending", 10).tick()).firing(), "one point: no change yet");
    assertFalse(e.observe(new T(2).gauge("pending", 60).tick()).firing());
    RuleState s = e.observe(new T(3).gauge("pending", 150).tick());
    assertEquals(140.0, s.value());
    assertTrue(s.firing());
    e.observe(new T(4).gauge("pending", 150).tick());
    s = e.observe(new T(5).gauge("pending", 150).tick());
    assertEquals(90.0, s.value(), "the window starts at tick 2 now: 150 - 60");
    assertFalse(s.firing());
  }

  @Test
  void holdForDelaysFiringUntilTheConditionHeldThatLong() {
    RuleEvaluator e = new RuleEvaluator(rule("metric = unreachable, stat = value, above = 0, for = 10s"));
    assertFalse(e.observe(new T(1).gauge("unreachable", 1).tick()).firing());
    assertFalse(e.observe(new T(2).gauge("unreachable", 1).tick()).firing());
    assertTrue(e.observe(new T(3).gauge("unreachable", 1).tick()).firing(), "held for 10 s");
    assertFalse(e.observe(new T(4).gauge("unreachable", 0).tick()).firing());
    assertFalse(e.observe(new T(5).gauge("unreachable", 2).tick()).firing(), "held again only since now");
  }

  @Test
  void theShippedFlagRuleFiresForAFlagsAudience() {
    com.typesafe.config.Config alerts = com.typesafe.config.ConfigFactory.parseString(
        "insync.alerts.rules.flag-errors.enabled = on").withFallback(com.typesafe.config.ConfigFactory.load())
        .getConfig("insync.alerts");
    AlertRule r = AlertRule.all(alerts).stream().filter(x -> x.name().equals("flag-errors")).findFirst().orElseThrow();
    RuleEvaluator e = new RuleEvaluator(r);
    String err = io.insync.persistence.metrics.InsyncMetrics.Names.FLAG_ERRORS;
    String req = io.insync.persistence.metrics.InsyncMetrics.Names.FLAG_REQUESTS;
    RuleState s = e.observe(new T(1)
        .counter(err, 1, "segment", "sync-page:off").counter(req, 300, "segment", "sync-page:off")
        .counter(err, 30, "segment", "sync-page:on").counter(req, 30, "segment", "sync-page:on").tick());
    assertTrue(s.firing(), s.toString());
    assertEquals("sync-page:on", e.worstSegment());
    assertTrue(AlertRule.all(com.typesafe.config.ConfigFactory.load().getConfig("insync.alerts")).stream()
        .noneMatch(x -> x.name().equals("flag-errors")), "off by default");
  }

  @Test
  void segmentWorseThanTheRestFiresNamingTheSegment() {
    RuleEvaluator e = new RuleEvaluator(rule(
        "metric = err, over = req, stat = count, segment-tag = segment, worse-by = 2, min-count = 50, window = 1m"));
    RuleState s = e.observe(new T(1)
        .counter("err", 2, "segment", "stable").counter("req", 200, "segment", "stable")
        .counter("err", 1, "segment", "canary").counter("req", 60, "segment", "canary").tick());
    assertFalse(s.firing(), "canary 1.7% against 1%: not twice as bad: " + s);
    s = e.observe(new T(2)
        .counter("err", 2, "segment", "stable").counter("req", 200, "segment", "stable")
        .counter("err", 5, "segment", "canary").counter("req", 40, "segment", "canary").tick());
    assertTrue(s.firing(), "canary 6% against 1%: " + s);
    assertEquals(0.06, s.value(), 1e-9);
    assertEquals(0.02, s.threshold(), 1e-9, "the rest's 1% times worse-by");
    assertTrue(s.summary().contains("segment=canary"), s.summary());
    assertEquals("canary", e.worstSegment(), "what the flag guardian is told");
    RuleEvaluator few = new RuleEvaluator(rule(
        "metric = err, over = req, stat = count, segment-tag = segment, min-count = 50"));
    assertFalse(few.observe(new T(1).counter("err", 9, "segment", "canary").counter("req", 10, "segment", "canary")
        .counter("err", 0, "segment", "stable").counter("req", 500, "segment", "stable").tick()).firing(),
        "10 canary requests are below min-count");
  }

  @Test
  void theShippedRulesParseAndBadRulesAreRefusedNamingTheKey() {
    Config shipped = ConfigFactory.load().getConfig("insync.alerts");
    List<AlertRule> rules = AlertRule.all(shipped);
    assertEquals(List.of("error-rate", "journal-failures", "node-unreachable", "pending-deliveries-growing", "send-latency-p99"),
        rules.stream().map(AlertRule::name).sorted().collect(Collectors.toList()));
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> AlertRule.parse("x", ConfigFactory.parseString("metric = m, stat = median, above = 1")));
    assertTrue(bad.getMessage().contains("insync.alerts.rules.x.stat"), bad.getMessage());
    bad = assertThrows(IllegalArgumentException.class, () -> AlertRule.parse("y", ConfigFactory.parseString("metric = m")));
    assertTrue(bad.getMessage().contains("above or below"), bad.getMessage());
    bad = assertThrows(IllegalArgumentException.class, () -> AlertRule.parse("z", ConfigFactory.parseString("stat = count, above = 1")));
    assertTrue(bad.getMessage().contains("insync.alerts.rules.z") && bad.getMessage().contains("metric"), bad.getMessage());
  }
}
