package io.insync.ops.ready;

import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ClusterSharding;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.Patterns;

/** The conditions a node checks before it opens its client port, as {@link Readiness.Probe}s. */
public final class NodeProbes {
  private static final AtomicLong probes = new AtomicLong();

  private final ActorSystem<?> system;
  private final Duration askTimeout;

  public NodeProbes(ActorSystem<?> system, Duration askTimeout) {
    this.system = system;
    this.askTimeout = askTimeout;
  }

  /** This node is a member with status Up (it can host shards and the coordinator counts it). */
  public Readiness.Probe up() {
    Cluster cluster = Cluster.get(system);
    return Readiness.holds(() -> cluster.selfMember().status() == MemberStatus.up());
  }

  /**
   * This node's shard region for {@code typeName} is registered with the shard coordinator: the
   * coordinator's list of regions holds this node's address. Until then, the region cannot learn
   * where any shard lives (it asks only once registered), and while a region of an Up member is
   * unregistered the coordinator allocates no new shard anywhere.
   */
  public Readiness.Probe regionRegistered(String typeName) {
    Address self = Cluster.get(system).selfMember().address();
    org.apache.pekko.actor.ActorRef region = ClusterSharding.get(Adapter.toClassic(system)).shardRegion(typeName);
    return () -> Patterns.ask(region, ShardRegion.getCurrentRegionsInstance(), askTimeout)
        .thenApply(reply -> reply instanceof ShardRegion.CurrentRegions r && r.getRegions().contains(self));
  }

  /** This node's journal and snapshot store answered a recovery ({@link JournalProbe}). */
  public Readiness.Probe localJournal() {
    return () -> {
      ActorRef<JournalProbe.Recovered> probe =
          system.systemActorOf(JournalProbe.create(), "journal-probe-" + probes.incrementAndGet(), Props.empty());
      CompletionStage<Done> answered = AskPattern.ask(probe, JournalProbe.Recovered::new, askTimeout, system.scheduler());
      // a probe whose recovery fails stops itself; a slow one answers late to nobody, then stops
      return answered.thenApply(done -> true);
    };
  }

  /**
   * A user entity answered through sharding (coordinator, allocation, some node's journal): the
   * whole path a client's first request takes.
   */
  public Readiness.Probe userThroughSharding(UserRefs users, String userId) {
    return () -> AskPattern.<UserEntity.Command, UserEntity.Status>ask(users.user(userId), UserEntity.GetStatus::new,
        askTimeout, system.scheduler()).thenApply(status -> true);
  }
}
