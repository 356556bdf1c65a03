package io.insync.cluster;

import io.insync.persistence.user.RouteChanges;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * Turns the removal of a cluster member into {@link RouteChanges#changed()} on this node: at once
 * (a command that went to the removed node's shards is lost; asking again now reaches the shard's
 * next home, or waits in this node's shard region until sharding has allocated it), and once more
 * after {@code insync.cluster.route-change-repeat} (for a command asked again before this node's
 * shard region had heard of the removal, and so sent to the dead node once more).
 */
public final class RouteChangeWatch {
  private RouteChangeWatch() {}

  private record Repeat(String member) {}

  /** Spawns the watcher on {@code system}. */
  public static void start(ActorSystem<?> system, RouteChanges routes) {
    Duration repeat = system.settings().config().getDuration("insync.cluster.route-change-repeat");
    system.systemActorOf(Behaviors.<Object>setup(ctx -> {
      Cluster.get(system).subscriptions().tell(Subscribe.create(
          ctx.messageAdapter(ClusterEvent.MemberRemoved.class, e -> e), ClusterEvent.MemberRemoved.class));
      return Behaviors.withTimers(timers -> Behaviors.receiveMessage(msg -> {
        if (msg instanceof ClusterEvent.MemberRemoved removed) {
          String member = removed.member().address().toString();
          ctx.getLog().info("member {} removed: asking again the commands in flight to user entities "
              + "({} listeners)", member, routes.listeners());
          routes.changed();
          if (!repeat.isZero()) timers.startSingleTimer(new Repeat(member), repeat);
        } else if (msg instanceof Repeat r) {
          ctx.getLog().debug("member {} removed {} ago: asking again once more", r.member(), repeat);
          routes.changed();
        }
        return Behaviors.same();
      }));
    }), "route-change-watch", Props.empty());
  }
}
