package io.insync.ops.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** The scenarios of {@code bin/insync bench SCENARIO}, and the parsing of their arguments. */
public enum BenchScenario {
  /** Throughput steps of 1:1 messages (open model), one {@link LoadBench} run per rate. */
  ONE_TO_ONE("one-to-one", "1:1 messages at each of --rates (open model): acked/s, delivered/s, latency, exactly-once"),
  /** Posts to one group of online members (open model), one {@link GroupBench} run per rate. */
  GROUP("group", "posts to a group of --members online members at each of --rates: send -> last member's notify"),
  /** Raw journal-shaped inserts into Cassandra, no node ({@link CassandraBaseline}). */
  CASSANDRA_BASELINE("cassandra-baseline", "raw journal-shaped inserts into Cassandra, no node: inserts/s, p50/p99"),
  /** Heap per idle authenticated connection ({@link IdleBench}). */
  IDLE("idle", "N idle authenticated connections (--idle-connections): node heap per connection");

  private final String cliName;
  private final String summary;

  BenchScenario(String cliName, String summary) {
    this.cliName = cliName;
    this.summary = summary;
  }

  public String cliName() {
    return cliName;
  }

  public String summary() {
    return summary;
  }

  /** The scenario named {@code name} (as on the command line); an unknown name lists the known ones. */
  public static BenchScenario parse(String name) {
    for (BenchScenario s : values()) {
      if (s.cliName.equals(name.trim().toLowerCase(Locale.ROOT))) return s;
    }
    throw new IllegalArgumentException("unknown bench scenario '" + name + "'; known scenarios: " + known());
  }

  /** "one-to-one, cassandra-baseline, idle". */
  public static String known() {
    return Arrays.stream(values()).map(BenchScenario::cliName).collect(Collectors.joining(", "));
  }

  /** Maximum number of steps in one run (each step is a full warm-up + measurement). */
  public static final int MAX_STEPS = 20;

  /** {@code "1000,2000,4000"}: positive rates, at most {@link #MAX_STEPS}, in the given order. */
  public static List<Double> parseRates(String list) {
    List<Double> out = new ArrayList<>();
    for (String part : list.split(",")) {
      String p = part.trim();
      if (p.isEmpty()) throw new IllegalArgumentException("--rates: empty entry in '" + list + "'");
      double v;
      try {
        v = Double.parseDouble(p.replace("_", ""));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--rates: '" + p + "' is not a number (expected e.g. 1000,2000,4000)");
      }
      if (!(v > 0) || Double.isInfinite(v)) throw new IllegalArgumentException("--rates: " + p + " must be positive");
      out.add(v);
    }
    if (out.size() > MAX_STEPS) throw new IllegalArgumentException("--rates: at most " + MAX_STEPS + " steps, got " + out.size());
    return out;
  }
}
