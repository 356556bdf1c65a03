package io.insync.ops.alerts;

import io.insync.cluster.alerts.AlertNotifier.RuleState;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Evaluates one {@link AlertRule} tick after tick over its sliding window. Keeps, per tick, only the few
 * numbers the rule needs (per segment when the rule has a {@code segment-tag}): a counter's increase, the
 * ratio's denominator, a gauge's value, or a histogram's buckets. Not thread-safe: one caller (Kamon's
 * reporter thread).
 */
public final class RuleEvaluator {
  private static final String ALL = "";

  private final AlertRule rule;
  private final Deque<Part> window = new ArrayDeque<>();
  private long trueSince = -1;
  private String segment;

  public RuleEvaluator(AlertRule rule) {
    this.rule = rule;
  }

  public AlertRule rule() {
    return rule;
  }

  /** For a segment rule: the segment (tag value) its last evaluation found worst; null otherwise or when none. */
  public String worstSegment() {
    return segment;
  }

  /** What one tick contributed, per segment. */
  private record Part(long at, double seconds, Map<String, Acc> bySegment) {}

  /** Sums for one segment (over one tick, or merged over the window). */
  private static final class Acc {
    double num;
    double den;
    double gauge = Double.NaN;
    final TreeMap<Double, Long> buckets = new TreeMap<>();
    long distCount;

    void add(Acc o) {
      num += o.num;
      den += o.den;
      if (!Double.isNaN(o.gauge)) gauge = Double.isNaN(gauge) ? o.gauge : gauge + o.gauge;
      o.buckets.forEach((v, c) -> buckets.merge(v, c, Long::sum));
      distCount += o.distCount;
    }
  }

  /** Adds {@code tick} to the window and returns the rule's state after it. */
  public RuleState observe(MetricTick tick) {
    window.addLast(extract(tick));
    long now = tick.toMillis();
    // a tick belongs to the window while it ended less than `window` ago
    while (!window.isEmpty() && window.peekFirst().at() <= now - rule.window().toMillis()) window.removeFirst();
    Verdict v = rule.segmentTag().isPresent() ? segments() : whole();
    boolean holds = v.holds();
    if (holds) {
      if (trueSince < 0) trueSince = now;
    } else {
      trueSince = -1;
    }
    boolean firing = holds && now - trueSince >= rule.holdFor().toMillis();
    segment = v.segment();
    return new RuleState(rule.name(), rule.severity(), firing, v.value(), v.threshold(), v.summary());
  }

  private record Verdict(boolean holds, double value, double threshold, String summary, String segment) {}

  private Verdict whole() {
    Figure f = figure(ALL, null);
    double t = rule.threshold();
    boolean holds = f.valid() && (rule.above().isPresent() ? f.value() > t : f.value() < t);
    return new Verdict(holds, f.valid() ? f.value() : Double.NaN, t, rule.summary(), null);
  }

  private Verdict segments() {
    java.util.Set<String> names = new java.util.TreeSet<>();
    for (Part p : window) names.addAll(p.bySegment().keySet());
    Verdict worst = null;
    for (String s : names) {
      Figure mine = figure(s, true);
      Figure rest = figure(s, false);
      if (!mine.valid() || !rest.valid()) continue;
      double bar = rest.value() * rule.worseBy();
      boolean holds = mine.value() > bar && (rule.above().isEmpty() || mine.value() > rule.above().get());
      String summary = rule.summary() + " (" + rule.segmentTag().get() + "=" + s + ": " + fmt(mine.value())
          + " against " + fmt(rest.value()) + " for the rest)";
      Verdict v = new Verdict(holds, mine.value(), bar, summary, s);
      if (worst == null || (holds && !worst.holds()) || (holds == worst.holds() && v.value() > worst.value())) worst = v;
    }
    return worst != null ? worst : new Verdict(false, Double.NaN, Double.NaN, rule.summary(), null);
  }

  private static String fmt(double v) {
    return String.format(java.util.Locale.ROOT, "%.4g", v);
  }

  private record Figure(boolean valid, double value) {}

  /**
   * The rule's figure over the window for segment {@code s}: {@code only} null = all series, true = just
   * {@code s}, false = every segment but {@code s}.
   */
  private Figure figure(String s, Boolean only) {
    Acc total = new Acc();
    Acc first = null;
    Acc last = null;
    double seconds = 0;
    for (Part p : window) {
      Acc tick = new Acc();
      boolean any = false;
      for (Map.Entry<String, Acc> e : p.bySegment().entrySet()) {
        boolean take = only == null || (only ? e.getKey().equals(s) : !e.getKey().equals(s));
        if (take) {
          tick.add(e.getValue());
          any = true;
        }
      }
      seconds += p.seconds();
      total.add(tick);
      if (any) {
        if (first == null) first = tick;
        last = tick;
      }
    }
    switch (rule.stat()) {
      case RATE, COUNT -> {
        if (rule.over().isPresent()) {
          if (total.den <= 0 || total.den < rule.minCount()) return new Figure(false, 0);
          return new Figure(true, total.num / total.den);
        }
        if (total.num < rule.minCount()) return new Figure(false, 0);
        if (rule.stat() == AlertRule.Stat.COUNT) return new Figure(true, total.num);
        return seconds <= 0 ? new Figure(false, 0) : new Figure(true, total.num / seconds);
      }
      case VALUE -> {
        return last == null || Double.isNaN(last.gauge) ? new Figure(false, 0) : new Figure(true, last.gauge);
      }
      case CHANGE -> {
        if (first == null || first == last || Double.isNaN(first.gauge) || Double.isNaN(last.gauge)) {
          return new Figure(false, 0);
        }
        return new Figure(true, last.gauge - first.gauge);
      }
      case PERCENTILE -> {
        if (total.distCount == 0 || total.distCount < rule.minCount()) return new Figure(false, 0);
        long rank = (long) Math.ceil(rule.percentile() * total.distCount);
        long seen = 0;
        for (Map.Entry<Double, Long> b : total.buckets.entrySet()) {
          seen += b.getValue();
          if (seen >= rank) return new Figure(true, b.getKey());
        }
        return new Figure(true, total.buckets.lastKey());
      }
      default -> throw new IllegalStateException("unknown stat " + rule.stat());
    }
  }

  private String segmentOf(Map<String, String> tags) {
    if (rule.segmentTag().isEmpty()) return ALL;
    return tags.get(rule.segmentTag().get());
  }

  private Part extract(MetricTick tick) {
    Map<String, Acc> by = new HashMap<>();
    switch (rule.stat()) {
      case RATE, COUNT -> {
        for (MetricTick.Series c : tick.counters()) {
          if (c.name().equals(rule.metric()) && AlertRule.matches(rule.tags(), c.tags())) {
            String s = segmentOf(c.tags());
            if (s != null) by.computeIfAbsent(s, k -> new Acc()).num += c.value();
          }
          if (rule.over().isPresent() && c.name().equals(rule.over().get()) && AlertRule.matches(rule.overTags(), c.tags())) {
            String s = segmentOf(c.tags());
            if (s != null) by.computeIfAbsent(s, k -> new Acc()).den += c.value();
          }
        }
      }
      case VALUE, CHANGE -> {
        for (MetricTick.Series g : tick.gauges()) {
          if (!g.name().equals(rule.metric()) || !AlertRule.matches(rule.tags(), g.tags())) continue;
          String s = segmentOf(g.tags());
          if (s == null) continue;
          Acc a = by.computeIfAbsent(s, k -> new Acc());
          a.gauge = Double.isNaN(a.gauge) ? g.value() : a.gauge + g.value();
        }
      }
      case PERCENTILE -> {
        for (MetricTick.Dist d : tick.histograms()) {
          if (!d.name().equals(rule.metric()) || !AlertRule.matches(rule.tags(), d.tags())) continue;
          String s = segmentOf(d.tags());
          if (s == null) continue;
          Acc a = by.computeIfAbsent(s, k -> new Acc());
          for (int i = 0; i < d.values().length; i++) {
            a.buckets.merge(d.values()[i], d.counts()[i], Long::sum);
            a.distCount += d.counts()[i];
          }
        }
      }
      default -> throw new IllegalStateException("unknown stat " + rule.stat());
    }
    return new Part(tick.toMillis(), tick.seconds(), by);
  }
}
