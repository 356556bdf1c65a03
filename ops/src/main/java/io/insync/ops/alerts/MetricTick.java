package io.insync.ops.alerts;

import java.util.List;
import java.util.Map;

/**
 * One metrics tick as the alert rules see it: what each counter counted during the tick, each gauge's value at
 * its end, and each histogram's distribution during the tick (values in the base unit: seconds for times).
 * Built from Kamon's period snapshot ({@link KamonAlerts}) or by tests.
 */
public record MetricTick(long fromMillis, long toMillis, List<Series> counters, List<Series> gauges,
    List<Dist> histograms) {

  /** A counter's increase over the tick, or a gauge's value. */
  public record Series(String name, Map<String, String> tags, double value) {}

  /** A distribution: {@code values[i]} was recorded {@code counts[i]} times. */
  public record Dist(String name, Map<String, String> tags, double[] values, long[] counts) {
    public long count() {
      long n = 0;
      for (long c : counts) n += c;
      return n;
    }
  }

  public double seconds() {
    return Math.max(0, toMillis - fromMillis) / 1000.0;
  }
}
