package io.insync.cluster;

import io.insync.persistence.ClusterMessage;
import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import java.time.Duration;
import org.apache.pekko.actor.NoSerializationVerificationNeeded;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;

/**
 * Keeps a user's pending deliveries going when nobody else would: one keeper per user whose
 * entity reported deliveries that may outlive it (a delivery failed, or the entity stopped with
 * deliveries pending). Keepers are sharded with <em>remember-entities</em> (store
 * {@code eventsourced}, in the same journal), so a keeper is started again after any hand-off or
 * node loss. While alive it asks the user's entity for its status through sharding every
 * {@code insync.delivery-keeper.interval}: that starts the user entity wherever its shard lives
 * now (its recovery resumes the deliveries) and keeps it from being passivated. When the user
 * reports nothing pending, the keeper passivates itself, which also forgets it.
 *
 * <p>A group's fan-out has a keeper too, under the id {@code #group} ({@link #groupKey}): it is told
 * when a fan-out starts, and asks the group's entity instead.
 *
 * <p>Costs nothing while deliveries succeed at once: no keeper is ever started for them.
 */
public final class DeliveryKeeper {
  private DeliveryKeeper() {}

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "DeliveryKeeper");

  public interface Command extends ClusterMessage {}

  /** Keepers of groups' fan-outs have this before the group id ('#' is never in an id). */
  static final String GROUP_PREFIX = "#";

  /** The keeper id of a group's fan-out. */
  public static String groupKey(String groupId) {
    return GROUP_PREFIX + groupId;
  }

  /** Keep {@code user}'s deliveries going (idempotent: a running keeper just carries on). */
  public record Keep(String reason) implements Command {}

  private record Tick() implements Command, NoSerializationVerificationNeeded {}

  private record Answered(int pending) implements Command, NoSerializationVerificationNeeded {}

  private record NoAnswer(String why) implements Command, NoSerializationVerificationNeeded {}

  /** Starts keeper sharding (remember-entities, event-sourced store); returns the entity's reporter. */
  public static UserEntity.PendingDeliveries init(org.apache.pekko.actor.typed.ActorSystem<?> system, UserRefs users) {
    ClusterSharding sharding = ClusterSharding.get(system);
    Duration interval = system.settings().config().getDuration("insync.delivery-keeper.interval");
    ClusterShardingSettings settings = ClusterShardingSettings.create(system)
        .withRememberEntities(true)
        .withRememberEntitiesStoreMode(ClusterShardingSettings.rememberEntitiesStoreModeEventSourced());
    sharding.init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), users, interval, ctx.getShard()))
        .withSettings(settings));
    return userId -> sharding.entityRefFor(ENTITY_KEY, userId).tell(new Keep("deliveries pending"));
  }

  static Behavior<Command> create(String userId, UserRefs users, Duration interval,
      ActorRef<org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      ctx.getLog().info("keeping deliveries of user {} going", userId);
      timers.startTimerWithFixedDelay(new Tick(), Duration.ZERO, interval);
      return Behaviors.receive(Command.class)
          .onMessage(Keep.class, k -> Behaviors.same())
          .onMessage(Tick.class, t -> {
            if (userId.startsWith(GROUP_PREFIX)) {
              ctx.ask(GroupEntity.Status.class, users.group(userId.substring(GROUP_PREFIX.length())), interval,
                  GroupEntity.GetStatus::new,
                  (status, failure) -> status != null ? new Answered(status.pendingRecipients())
                      : new NoAnswer(String.valueOf(failure)));
            } else {
              ctx.ask(UserEntity.Status.class, users.user(userId), interval,
                  UserEntity.GetStatus::new,
                  (status, failure) -> status != null ? new Answered(status.pendingDeliveries())
                      : new NoAnswer(String.valueOf(failure)));
            }
            return Behaviors.same();
          })
          .onMessage(Answered.class, a -> {
            if (a.pending() == 0) {
              ctx.getLog().info("{} has nothing pending: keeper stops", userId);
              timers.cancelAll();
              shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
            }
            return Behaviors.same();
          })
          .onMessage(NoAnswer.class, n -> Behaviors.same()) // the next tick asks again
          .build();
    }));
  }
}
