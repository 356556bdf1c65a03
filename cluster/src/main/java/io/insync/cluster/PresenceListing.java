package io.insync.cluster;

import io.insync.persistence.user.PresenceProtocol;
import java.util.Collection;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * The node-wide view of every node's presence directory ({@link PresenceProtocol#SERVICE_KEY} in
 * the cluster Receptionist): one subscriber actor per node keeps the latest listing in a volatile
 * field, and every user entity of the node reads it when it starts (no subscription per entity).
 * The listing is eventually consistent: a directory of a node that joined a moment ago may be
 * missing for a few seconds (its sessions' own Connects register them anyway).
 */
public final class PresenceListing implements PresenceProtocol.Directories {
  private volatile Set<ActorRef<PresenceProtocol.Lookup>> current = Set.of();

  private PresenceListing() {}

  /** Spawns the subscriber on {@code system}. */
  public static PresenceListing start(ActorSystem<?> system) {
    PresenceListing listing = new PresenceListing();
    system.systemActorOf(Behaviors.<Receptionist.Listing>setup(ctx -> {
      system.receptionist().tell(Receptionist.subscribe(PresenceProtocol.SERVICE_KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(l -> {
        listing.current = Set.copyOf(l.getServiceInstances(PresenceProtocol.SERVICE_KEY));
        return Behaviors.same();
      });
    }), "presence-listing", Props.empty());
    return listing;
  }

  @Override
  public Collection<ActorRef<PresenceProtocol.Lookup>> all() {
    return current;
  }
}
