package io.insync.cluster;

import io.insync.persistence.group.GroupEntity;
import io.insync.persistence.group.GroupSettings;
import io.insync.persistence.user.RouteChanges;
import io.insync.persistence.user.UserEntity;
import io.insync.persistence.user.UserRefs;
import io.insync.persistence.user.UserSettings;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.RecipientRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.javadsl.CurrentEventsByPersistenceIdQuery;

/**
 * Starts sharding of user entities on this node and hands out {@link UserRefs} that reach any
 * user's entity wherever it lives. Entities learn the connected sessions of their user from every
 * node's presence directory ({@link PresenceListing}). When a member is removed, commands in flight
 * to entities are asked again at once ({@link RouteChangeWatch}). Group entities are sharded beside
 * them and reached through the same refs ({@link UserRefs#group}). Later, home-IDC routing plugs in here.
 */
public final class UserSharding {
  private UserSharding() {}

  /** Once per system (sharding's init is idempotent; the presence listing is not). */
  public static UserRefs init(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    RouteChanges routes = new RouteChanges();
    UserRefs refs = new UserRefs() {
      @Override
      public RecipientRef<UserEntity.Command> user(String userId) {
        return sharding.entityRefFor(UserEntity.ENTITY_KEY, userId);
      }

      @Override
      public RecipientRef<GroupEntity.Command> group(String groupId) {
        return sharding.entityRefFor(GroupEntity.ENTITY_KEY, groupId);
      }

      @Override
      public RouteChanges routeChanges() {
        return routes;
      }
    };
    RouteChangeWatch.start(system, routes);
    String readJournalId = system.settings().config().getString("insync.read-journal-plugin");
    CurrentEventsByPersistenceIdQuery readJournal = PersistenceQuery.get(system)
        .getReadJournalFor(CurrentEventsByPersistenceIdQuery.class, readJournalId);
    UserSettings settings = UserSettings.fromConfig(system.settings().config());
    CrossNodeLimits.check(settings, system.settings().config());
    UserEntity.PendingDeliveries keeper = DeliveryKeeper.init(system, refs);
    UserEntity.Deps deps = new UserEntity.Deps(settings, refs, readJournal, keeper, PresenceListing.start(system));
    sharding.init(Entity.of(UserEntity.ENTITY_KEY, ctx -> UserEntity.create(ctx.getEntityId(), deps, ctx.getShard())));
    GroupEntity.Deps groupDeps = new GroupEntity.Deps(GroupSettings.fromConfig(system.settings().config()), settings,
        refs, groupId -> keeper.pending(DeliveryKeeper.groupKey(groupId)));
    sharding.init(Entity.of(GroupEntity.ENTITY_KEY, ctx -> GroupEntity.create(ctx.getEntityId(), groupDeps)));
    return refs;
  }
}
