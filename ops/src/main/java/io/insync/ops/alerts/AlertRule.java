package io.insync.ops.alerts;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One alert rule of {@code insync.alerts.rules} (ops reference.conf explains each key; docs/monitoring.md has
 * examples). A rule computes one figure from one metric over a sliding window and compares it with a
 * threshold; with {@code segment-tag} it computes the figure per value of that tag and fires when one
 * segment's figure is {@code worse-by} times the rest's.
 */
public record AlertRule(String name, String metric, Map<String, String> tags, Stat stat, double percentile,
    Optional<String> over, Map<String, String> overTags, Optional<Double> above, Optional<Double> below,
    Duration window, Duration holdFor, long minCount, String severity, String summary, Optional<String> segmentTag,
    double worseBy) {

  /** What figure a rule computes over its window. */
  public enum Stat {
    /** counter: increase per second. */
    RATE,
    /** counter: increase over the window (with {@code over}: divided by the other counter's increase). */
    COUNT,
    /** gauge: the latest value (summed over the matching series). */
    VALUE,
    /** gauge: latest value minus the value at the start of the window (rate of change). */
    CHANGE,
    /** histogram: the {@code percentile} of everything recorded in the window. */
    PERCENTILE
  }

  /** Every rule of {@code insync.alerts.rules}, by name; a rule with {@code enabled = off} is left out. */
  public static List<AlertRule> all(Config alerts) {
    List<AlertRule> out = new ArrayList<>();
    Config rules = alerts.getConfig("rules");
    for (String name : rules.root().keySet()) {
      Config r = rules.getConfig(quote(name));
      if (r.hasPath("enabled") && !r.getBoolean("enabled")) continue;
      out.add(parse(name, r));
    }
    return out;
  }

  private static String quote(String key) {
    return key.matches("[A-Za-z0-9_-]+") ? key : "\"" + key + "\"";
  }

  /** Parses one rule; a wrong or missing key is an error naming {@code insync.alerts.rules.NAME.KEY}. */
  public static AlertRule parse(String name, Config r) {
    String at = "insync.alerts.rules." + name;
    try {
      String metric = r.getString("metric");
      Stat stat;
      String statName = r.hasPath("stat") ? r.getString("stat") : "value";
      try {
        stat = Stat.valueOf(statName.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(at + ".stat must be rate, count, value, change or percentile (was " + statName + ")");
      }
      double p = r.hasPath("percentile") ? r.getDouble("percentile") : 0.99;
      if (stat == Stat.PERCENTILE && (p <= 0 || p > 1)) {
        throw new IllegalArgumentException(at + ".percentile must be in (0, 1] (was " + p + ")");
      }
      Optional<String> over = r.hasPath("over") ? Optional.of(r.getString("over")) : Optional.empty();
      if (over.isPresent() && stat != Stat.COUNT && stat != Stat.RATE) {
        throw new IllegalArgumentException(at + ".over (a ratio of two counters) needs stat = count or rate");
      }
      Optional<Double> above = r.hasPath("above") ? Optional.of(r.getDouble("above")) : Optional.empty();
      Optional<Double> below = r.hasPath("below") ? Optional.of(r.getDouble("below")) : Optional.empty();
      Optional<String> segment = r.hasPath("segment-tag") ? Optional.of(r.getString("segment-tag")) : Optional.empty();
      if (above.isPresent() == below.isPresent() && segment.isEmpty()) {
        throw new IllegalArgumentException(at + " needs exactly one of above or below");
      }
      if (segment.isPresent() && below.isPresent()) {
        throw new IllegalArgumentException(at + ": a segment rule compares upwards (worse-by, optional above), not below");
      }
      double worseBy = r.hasPath("worse-by") ? r.getDouble("worse-by") : 2.0;
      if (worseBy <= 1.0 && segment.isPresent()) {
        throw new IllegalArgumentException(at + ".worse-by must be above 1 (was " + worseBy + ")");
      }
      Duration window = r.hasPath("window") ? r.getDuration("window") : Duration.ofMinutes(1);
      Duration holdFor = r.hasPath("for") ? r.getDuration("for") : Duration.ZERO;
      if (window.isNegative() || window.isZero()) throw new IllegalArgumentException(at + ".window must be positive");
      long minCount = r.hasPath("min-count") ? r.getLong("min-count") : 0;
      String severity = r.hasPath("severity") ? r.getString("severity") : "warning";
      String summary = r.hasPath("summary") ? r.getString("summary") : name;
      return new AlertRule(name, metric, tags(r, "tags"), stat, p, over, tags(r, "over-tags"), above, below, window,
          holdFor, minCount, severity, summary, segment, worseBy);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
    }
  }

  private static Map<String, String> tags(Config r, String key) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!r.hasPath(key)) return out;
    for (Map.Entry<String, ConfigValue> e : r.getConfig(key).root().entrySet()) {
      out.put(e.getKey(), String.valueOf(e.getValue().unwrapped()));
    }
    return out;
  }

  /** The threshold to compare with ({@code above} or {@code below}); NaN for a segment rule without a floor. */
  public double threshold() {
    return above.orElse(below.orElse(Double.NaN));
  }

  /**
   * Whether a series' tags pass {@code filter}: each entry must match; a value starting with {@code !} means
   * "any value but this one" (a missing tag passes it).
   */
  static boolean matches(Map<String, String> filter, Map<String, String> tags) {
    for (Map.Entry<String, String> f : filter.entrySet()) {
      String v = tags.get(f.getKey());
      String want = f.getValue();
      if (want.startsWith("!")) {
        if (want.substring(1).equals(v)) return false;
      } else if (!want.equals(v)) {
        return false;
      }
    }
    return true;
  }
}
