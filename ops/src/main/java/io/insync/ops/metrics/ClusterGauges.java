package io.insync.ops.metrics;

import io.insync.persistence.metrics.InsyncMetrics;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.Cluster;

/**
 * Gauges read from this node's view of the cluster, refreshed every {@code interval}: {@code
 * insync.cluster.unreachable.members} (members this node's failure detector marks unreachable), which the
 * node-unreachable alert rule watches. A poll of the gossip state rather than a subscriber: one volatile read,
 * and the gauge cannot miss an event.
 */
public final class ClusterGauges {
  private ClusterGauges() {}

  public static void start(ActorSystem<?> system, Duration interval) {
    Cluster cluster = Cluster.get(Adapter.toClassic(system));
    system.scheduler().scheduleAtFixedRate(Duration.ZERO, interval,
        () -> InsyncMetrics.unreachableMembers(cluster.state().getUnreachable().size()), system.executionContext());
  }
}
