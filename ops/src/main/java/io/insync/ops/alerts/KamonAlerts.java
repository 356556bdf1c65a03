package io.insync.ops.alerts;

import com.typesafe.config.Config;
import io.insync.cluster.alerts.AlertNotifier;
import io.insync.cluster.alerts.AlertNotifier.RuleState;
import io.insync.cluster.flags.FlagGuardian;
import io.insync.cluster.flags.FlagStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import kamon.Kamon;
import kamon.metric.Distribution;
import kamon.metric.Instrument;
import kamon.metric.Metric;
import kamon.metric.MetricSnapshot;
import kamon.metric.PeriodSnapshot;
import kamon.module.MetricReporter;
import kamon.tag.Tag;
import kamon.tag.TagSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.jdk.javaapi.CollectionConverters;

/**
 * The node's side of alerting: a Kamon metric reporter, so the rules see every metric (insync's and
 * Kamon's) on every tick ({@code kamon.metric.tick-interval}); each tick it evaluates every rule of {@code
 * insync.alerts.rules} on this node's figures and reports the states to the cluster's {@link AlertNotifier},
 * which decides what to notify. Keeps the latest states for {@code GET /insync/alerts}.
 */
public final class KamonAlerts implements MetricReporter {
  private static final Logger log = LoggerFactory.getLogger(KamonAlerts.class);

  private final List<RuleEvaluator> rules;
  private final Set<String> metrics = new HashSet<>();
  private final String node;
  private final ActorRef<AlertNotifier.Command> notifier;
  private final ActorRef<FlagGuardian.Command> guardian;
  private volatile List<RuleState> latest = List.of();

  KamonAlerts(List<AlertRule> rules, String node, ActorRef<AlertNotifier.Command> notifier,
      ActorRef<FlagGuardian.Command> guardian) {
    this.rules = rules.stream().map(RuleEvaluator::new).toList();
    for (AlertRule r : rules) {
      metrics.add(r.metric());
      r.over().ifPresent(metrics::add);
    }
    this.node = node;
    this.notifier = notifier;
    this.guardian = guardian;
  }

  /** What {@link #start} returns: the notifier, and this node's evaluator if metrics run here. */
  public record Started(ActorRef<AlertNotifier.Command> notifier, java.util.Optional<KamonAlerts> local) {}

  /**
   * Starts the notifier singleton and the flag guardian singleton beside it (every node may host them) and, when
   * Kamon runs in this JVM ({@code kamon} true) and {@code insync.alerts.enabled} is on, this node's evaluator as a
   * Kamon reporter, which also tells the guardian of every segment rule firing (automatic rollback of {@code
   * flags}).
   */
  public static Started start(ActorSystem<?> system, boolean kamon, FlagStore flags) {
    Config config = system.settings().config();
    Config a = config.getConfig("insync.alerts");
    List<AlertRule> rules = AlertRule.all(a); // a bad rule stops the node here, naming its key
    String webhook = a.getString("webhook.url");
    if (!webhook.isEmpty() && !webhook.startsWith("http://") && !webhook.startsWith("https://")) {
      throw new IllegalArgumentException("insync.alerts.webhook.url must be an http:// or https:// URL (was " + webhook + ")");
    }
    AlertNotifier.Settings s = new AlertNotifier.Settings(webhook, a.getDuration("webhook.timeout"),
        a.getInt("webhook.retries"), a.getDuration("webhook.backoff"), a.getDuration("repeat-interval"),
        a.getDuration("report-expiry"), a.getInt("history"), system.name());
    ActorRef<AlertNotifier.Command> notifier = AlertNotifier.init(system, s,
        webhook.isEmpty() ? n -> java.util.concurrent.CompletableFuture.completedFuture(204)
            : new Webhook(webhook, system.name(), s.timeout()));
    // automatic rollback of flags: a singleton beside the notifier, fed by every node's segment rules
    ActorRef<FlagGuardian.Command> guardian = FlagGuardian.init(system, flags, notifier);
    if (!kamon || !a.getBoolean("enabled")) {
      log.info("alert rules are not evaluated on this node ({})",
          !kamon ? "metrics are off: insync.metrics.enabled" : "insync.alerts.enabled = off");
      return new Started(notifier, java.util.Optional.empty());
    }
    String node = Cluster.get(Adapter.toClassic(system)).selfAddress().toString();
    KamonAlerts reporter = new KamonAlerts(rules, node, notifier, guardian);
    Kamon.addReporter("insync-alerts", reporter);
    log.info("alert rules evaluated on this node every metrics tick: {}", rules.stream().map(AlertRule::name).toList());
    return new Started(notifier, java.util.Optional.of(reporter));
  }

  /** This node's latest state of each rule. */
  public List<RuleState> latest() {
    return latest;
  }

  @Override
  public void reportPeriodSnapshot(PeriodSnapshot snapshot) {
    try {
      MetricTick tick = toTick(snapshot);
      List<RuleState> states = new ArrayList<>(rules.size());
      for (RuleEvaluator r : rules) {
        RuleState state = r.observe(tick);
        states.add(state);
        // a segment rule firing for one segment: the flag guardian decides whether a flag rolls back
        if (state.firing() && r.worstSegment() != null) {
          guardian.tell(new FlagGuardian.SegmentFiring(node, state.rule(), state.severity(), r.worstSegment(),
              state.value(), state.threshold(), state.summary()));
        }
      }
      logTransitions(latest, states);
      latest = List.copyOf(states);
      notifier.tell(new AlertNotifier.Report(node, latest));
    } catch (RuntimeException e) {
      log.warn("alert rules not evaluated this tick: {}", e.toString());
    }
  }

  /** This node's own view, for operators reading one node's log (the notifier decides what is notified). */
  private static void logTransitions(List<RuleState> before, List<RuleState> now) {
    Map<String, Boolean> was = new java.util.HashMap<>();
    for (RuleState s : before) was.put(s.rule(), s.firing());
    for (RuleState s : now) {
      boolean prev = was.getOrDefault(s.rule(), false);
      if (s.firing() && !prev) {
        log.info("alert rule \"{}\" firing on this node: value {} threshold {}", s.rule(), s.value(), s.threshold());
      } else if (!s.firing() && prev) {
        log.info("alert rule \"{}\" no longer firing on this node: value {}", s.rule(), s.value());
      }
    }
  }

  @Override
  public void stop() {}

  @Override
  public void reconfigure(Config newConfig) {}

  /** The snapshot's metrics the rules name, in base units. */
  MetricTick toTick(PeriodSnapshot s) {
    return toTick(s, metrics);
  }

  /** The snapshot's metrics named in {@code metrics}, in base units (seconds for times). */
  static MetricTick toTick(PeriodSnapshot s, Set<String> metrics) {
    List<MetricTick.Series> counters = new ArrayList<>();
    for (MetricSnapshot<?, Object> m : CollectionConverters.asJava(s.counters())) {
      if (!metrics.contains(m.name())) continue;
      for (Instrument.Snapshot<Object> i : CollectionConverters.asJava(m.instruments())) {
        counters.add(new MetricTick.Series(m.name(), tags(i.tags()), ((Number) i.value()).doubleValue()));
      }
    }
    List<MetricTick.Series> gauges = new ArrayList<>();
    for (MetricSnapshot<?, Object> m : CollectionConverters.asJava(s.gauges())) {
      if (!metrics.contains(m.name())) continue;
      for (Instrument.Snapshot<Object> i : CollectionConverters.asJava(m.instruments())) {
        gauges.add(new MetricTick.Series(m.name(), tags(i.tags()), ((Number) i.value()).doubleValue()));
      }
    }
    List<MetricTick.Dist> dists = new ArrayList<>();
    addDistributions(s.histograms(), dists, metrics);
    addDistributions(s.timers(), dists, metrics);
    addDistributions(s.rangeSamplers(), dists, metrics);
    return new MetricTick(s.from().toEpochMilli(), s.to().toEpochMilli(), counters, gauges, dists);
  }

  private static <S extends Metric.Settings> void addDistributions(
      scala.collection.immutable.Seq<MetricSnapshot<S, Distribution>> seq, List<MetricTick.Dist> out, Set<String> metrics) {
    for (MetricSnapshot<S, Distribution> m : CollectionConverters.asJava(seq)) {
      if (!metrics.contains(m.name())) continue;
      double scale = m.settings().unit().magnitude().scaleFactor();
      for (Instrument.Snapshot<Distribution> i : CollectionConverters.asJava(m.instruments())) {
        List<Distribution.Bucket> buckets = CollectionConverters.asJava(i.value().buckets());
        double[] values = new double[buckets.size()];
        long[] counts = new long[buckets.size()];
        for (int k = 0; k < values.length; k++) {
          values[k] = buckets.get(k).value() * scale;
          counts[k] = buckets.get(k).frequency();
        }
        out.add(new MetricTick.Dist(m.name(), tags(i.tags()), values, counts));
      }
    }
  }

  private static Map<String, String> tags(TagSet t) {
    if (t.isEmpty()) return Map.of();
    Map<String, String> out = new LinkedHashMap<>();
    for (Tag tag : CollectionConverters.asJava(t.all())) out.put(tag.key(), String.valueOf(Tag.unwrapValue(tag)));
    return out;
  }
}
