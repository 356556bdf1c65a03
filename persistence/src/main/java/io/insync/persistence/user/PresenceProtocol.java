package io.insync.persistence.user;

import io.insync.persistence.ClusterMessage;
import java.util.Collection;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * How a user entity learns which sessions of its user are connected, without them telling it:
 * every node's gateway keeps a presence directory of its authenticated sessions (user, device,
 * session ref, the time its Auth was accepted), registered with the Receptionist under
 * {@link #SERVICE_KEY}. When a user entity starts it sends {@link Lookup} to every directory in the
 * listing ({@link Directories}) and treats each {@link UserEntity.SessionsFound} reply as if those
 * sessions had sent {@code Connect} (the same "newer startedAt wins" rule), then pushes each a
 * {@code NewItems}. So a device needs no heartbeat to its entity to stay registered, and the entity
 * may be passivated while its devices stay connected. See docs/design.md, "Presence".
 */
public final class PresenceProtocol {
  private PresenceProtocol() {}

  /** The Receptionist key every node's presence directory is registered under. */
  public static final ServiceKey<Lookup> SERVICE_KEY = ServiceKey.create(Lookup.class, "insync-presence");

  /** Which sessions of {@code user} are connected to your node? Answered with one SessionsFound (maybe empty). */
  public record Lookup(String user, ActorRef<UserEntity.SessionsFound> replyTo) implements ClusterMessage {}

  /** One authenticated session of a device: where its pushes go and when its Auth was accepted. */
  public record PresentSession(String device, ActorRef<UserEntity.DeviceEvent> session, long startedAt)
      implements ClusterMessage {}

  /** The presence directories an entity asks: every node's (kept by one node-wide subscriber). */
  @FunctionalInterface
  public interface Directories {
    Directories NONE = List::of;

    Collection<ActorRef<Lookup>> all();
  }
}
