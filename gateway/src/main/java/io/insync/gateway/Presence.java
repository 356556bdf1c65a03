package io.insync.gateway;

import io.insync.persistence.user.PresenceProtocol;
import io.insync.persistence.user.UserEntity;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * This node's presence directory: every authenticated session of this gateway, by user. Sessions
 * register themselves when their Auth is accepted (before they send Connect to their entity) and
 * unregister when they stop; user entities anywhere in the cluster ask it with
 * {@link PresenceProtocol.Lookup} when they start (see {@link PresenceProtocol}).
 *
 * <p>The directory is a concurrent map that sessions of this JVM update directly (no message per
 * session, and a session is registered before its Connect is even sent, so an entity that starts
 * in between finds it); one actor per node, registered with the Receptionist under
 * {@link PresenceProtocol#SERVICE_KEY}, answers the lookups from it. Per session it holds one
 * small entry (device, session ref, startedAt) in an array per user.
 */
public final class Presence {
  private final ConcurrentHashMap<String, PresenceProtocol.PresentSession[]> byUser = new ConcurrentHashMap<>();

  /** A directory not (yet) reachable by entities: {@link #start} makes it so. */
  public Presence() {}

  /** Spawns the directory's actor on {@code system} and registers it with the Receptionist. */
  public static Presence start(ActorSystem<?> system) {
    Presence p = new Presence();
    ActorRef<PresenceProtocol.Lookup> ref = system.systemActorOf(p.behavior(), "presence", Props.empty());
    system.receptionist().tell(Receptionist.register(PresenceProtocol.SERVICE_KEY, ref));
    return p;
  }

  /** Answers lookups from this node's map. */
  public Behavior<PresenceProtocol.Lookup> behavior() {
    return Behaviors.receiveMessage(l -> {
      l.replyTo().tell(new UserEntity.SessionsFound(l.user(), sessionsOf(l.user())));
      return Behaviors.same();
    });
  }

  void register(String user, String device, ActorRef<UserEntity.DeviceEvent> session, long startedAt) {
    PresenceProtocol.PresentSession entry = new PresenceProtocol.PresentSession(device, session, startedAt);
    byUser.merge(user, new PresenceProtocol.PresentSession[] {entry}, (old, one) -> {
      PresenceProtocol.PresentSession[] more = Arrays.copyOf(old, old.length + 1);
      more[old.length] = one[0];
      return more;
    });
  }

  void unregister(String user, ActorRef<UserEntity.DeviceEvent> session) {
    byUser.computeIfPresent(user, (u, old) -> {
      int keep = 0;
      for (PresenceProtocol.PresentSession s : old) if (!s.session().equals(session)) keep++;
      if (keep == old.length) return old;
      if (keep == 0) return null; // the last one: the user leaves the map
      PresenceProtocol.PresentSession[] rest = new PresenceProtocol.PresentSession[keep];
      int i = 0;
      for (PresenceProtocol.PresentSession s : old) if (!s.session().equals(session)) rest[i++] = s;
      return rest;
    });
  }

  /** The sessions of {@code user} registered now (a copy). */
  public List<PresenceProtocol.PresentSession> sessionsOf(String user) {
    PresenceProtocol.PresentSession[] s = byUser.get(user);
    return s == null ? List.of() : List.of(s);
  }

  /** Sessions registered now, over all users. */
  public int size() {
    int n = 0;
    for (PresenceProtocol.PresentSession[] s : byUser.values()) n += s.length;
    return n;
  }
}
