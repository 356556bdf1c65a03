package io.insync.ops.alerts;

import com.typesafe.config.Config;
import io.insync.persistence.metrics.InsyncMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import kamon.Kamon;
import kamon.metric.PeriodSnapshot;
import kamon.module.MetricReporter;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live figures of the console and {@code GET /insync/stats}: on every metrics tick ({@code
 * kamon.metric.tick-interval}, 5 s) this node's sends, send errors and syncs per second and its send latency
 * p50/p99 and Notify p99 over the tick, published to the other nodes in a replicated map (Distributed Data, {@code
 * insync-node-stats}, node address to the latest {@link Point} as a string; written locally, spread by gossip), so
 * that any node answers for the whole cluster.
 */
public final class NodeStats implements MetricReporter {
  private static final Logger log = LoggerFactory.getLogger(NodeStats.class);

  static final Key<LWWMap<String, String>> KEY = LWWMapKey.create("insync-node-stats");
  static final Set<String> METRICS = Set.of(InsyncMetrics.Names.SENDS, InsyncMetrics.Names.SYNCS,
      InsyncMetrics.Names.SEND_LATENCY, InsyncMetrics.Names.NOTIFY_LATENCY);

  /**
   * One node's figures over one tick ending at {@code at} (epoch ms); latencies in ms, NaN when nothing was
   * measured in the tick.
   */
  public record Point(long at, double sendsPerSecond, double sendErrorsPerSecond, double syncsPerSecond,
      double sendP50Ms, double sendP99Ms, double notifyP99Ms) {
    String encode() {
      return at + ";" + sendsPerSecond + ";" + sendErrorsPerSecond + ";" + syncsPerSecond + ";" + sendP50Ms + ";"
          + sendP99Ms + ";" + notifyP99Ms;
    }

    static Point decode(String s) {
      String[] p = s.split(";");
      if (p.length != 7) throw new IllegalArgumentException("not a stats point: " + s);
      return new Point(Long.parseLong(p[0]), Double.parseDouble(p[1]), Double.parseDouble(p[2]),
          Double.parseDouble(p[3]), Double.parseDouble(p[4]), Double.parseDouble(p[5]), Double.parseDouble(p[6]));
    }
  }

  /** A node's latest point, by address. */
  public record NodePoint(String node, Point point) {}

  private final ActorSystem<?> system;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final String selfNode;
  private volatile Point latest;

  private NodeStats(ActorSystem<?> system) {
    this.system = system;
    DistributedData ddata = DistributedData.get(system);
    this.replicator = ddata.replicator();
    this.self = ddata.selfUniqueAddress();
    this.selfNode = self.uniqueAddress().address().toString();
  }

  /** Registers the reporter with the Kamon of this JVM (metrics must be on: {@code insync.metrics.enabled}). */
  public static NodeStats start(ActorSystem<?> system) {
    NodeStats stats = new NodeStats(system);
    Kamon.addReporter("insync-node-stats", stats);
    return stats;
  }

  /** The figures of one tick. */
  static Point point(MetricTick tick) {
    double seconds = tick.seconds();
    double sends = 0;
    double sendErrors = 0;
    double syncs = 0;
    for (MetricTick.Series c : tick.counters()) {
      if (c.name().equals(InsyncMetrics.Names.SENDS)) {
        sends += c.value();
        if (!"ok".equals(c.tags().get("result"))) sendErrors += c.value();
      } else if (c.name().equals(InsyncMetrics.Names.SYNCS)) {
        syncs += c.value();
      }
    }
    double rate = seconds > 0 ? 1 / seconds : 0;
    return new Point(tick.toMillis(), sends * rate, sendErrors * rate, syncs * rate,
        percentileMs(tick, InsyncMetrics.Names.SEND_LATENCY, 0.50), percentileMs(tick, InsyncMetrics.Names.SEND_LATENCY, 0.99),
        percentileMs(tick, InsyncMetrics.Names.NOTIFY_LATENCY, 0.99));
  }

  /** The {@code q} quantile of {@code name}'s values in the tick, in ms; NaN if none was recorded. */
  static double percentileMs(MetricTick tick, String name, double q) {
    TreeMap<Double, Long> buckets = new TreeMap<>();
    long total = 0;
    for (MetricTick.Dist d : tick.histograms()) {
      if (!d.name().equals(name)) continue;
      for (int i = 0; i < d.values().length; i++) buckets.merge(d.values()[i], d.counts()[i], Long::sum);
      total += d.count();
    }
    if (total == 0) return Double.NaN;
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (Map.Entry<Double, Long> b : buckets.entrySet()) {
      seen += b.getValue();
      if (seen >= rank) return b.getKey() * 1000;
    }
    return buckets.lastKey() * 1000;
  }

  @Override
  public void reportPeriodSnapshot(PeriodSnapshot snapshot) {
    try {
      Point p = point(KamonAlerts.toTick(snapshot, METRICS));
      latest = p;
      String value = p.encode();
      replicator.tell(new Replicator.Update<>(KEY, LWWMap.create(), Replicator.writeLocal(),
          system.ignoreRef(), (LWWMap<String, String> m) -> m.put(self, selfNode, value)));
    } catch (RuntimeException e) {
      log.warn("node stats not computed this tick: {}", e.toString());
    }
  }

  /** This node's latest point, if a tick has passed. */
  public java.util.Optional<Point> latest() {
    return java.util.Optional.ofNullable(latest);
  }

  /** Every member's latest point, as this node's replica has them (members that published none left out). */
  public CompletionStage<List<NodePoint>> all(Duration timeout) {
    CompletionStage<Replicator.GetResponse<LWWMap<String, String>>> answer = AskPattern.ask(replicator,
        (ActorRef<Replicator.GetResponse<LWWMap<String, String>>> replyTo) ->
            new Replicator.Get<>(KEY, Replicator.readLocal(), replyTo), timeout, system.scheduler());
    return answer.thenApply(r -> {
      Map<String, String> entries = r instanceof Replicator.GetSuccess<LWWMap<String, String>> ok
          ? ok.dataValue().getEntries() : Map.of();
      List<NodePoint> out = new ArrayList<>();
      for (Member m : Cluster.get(system).state().getMembers()) {
        String node = m.address().toString();
        String v = node.equals(selfNode) && latest != null ? latest.encode() : entries.get(node);
        if (v == null) continue;
        try {
          out.add(new NodePoint(node, Point.decode(v)));
        } catch (IllegalArgumentException e) {
          // an entry from a build that wrote another format: left out
        }
      }
      out.sort(java.util.Comparator.comparing(NodePoint::node));
      return out;
    });
  }

  @Override
  public void stop() {}

  @Override
  public void reconfigure(Config newConfig) {}
}
