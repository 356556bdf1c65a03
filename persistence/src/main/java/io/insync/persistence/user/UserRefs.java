package io.insync.persistence.user;

import org.apache.pekko.actor.typed.RecipientRef;

/**
 * How a user entity reaches other users' entities. The cluster module implements it with
 * sharding (and, later, home-IDC routing); unit tests with probes.
 */
@FunctionalInterface
public interface UserRefs {
  RecipientRef<UserEntity.Command> user(String userId);

  /** The entity of a group (where groups are served; the cluster module's refs serve them). */
  default RecipientRef<io.insync.persistence.group.GroupEntity.Command> group(String groupId) {
    throw new UnsupportedOperationException("groups are not served here");
  }

  /** Told when routes to entities changed and commands in flight may have been lost. */
  default RouteChanges routeChanges() {
    return RouteChanges.NONE;
  }
}
