package io.insync.cluster.auth;

import com.typesafe.config.Config;
import io.insync.core.Ids;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.ErrorCode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bans and token revocations (docs/security.md), replicated to every node with Distributed Data (an {@code
 * LWWMap} of {@link Revocation}s as plain strings, {@code insync-revocations}) and read from this node's copy at
 * every {@code Auth}. A change is written to every node at once ({@code WriteAll}); each node, on seeing it,
 * closes the sessions it admitted that the change now refuses ({@code Error{AUTH_FAILED, fatal}} with the reason),
 * so a ban or a revocation reaches every gateway within about a second (the replicator's notify interval; a node
 * that missed the write gets it by gossip within seconds).
 *
 * <p>Like the flags, the map lives in memory: it survives any node as long as one node of the cluster runs. It is
 * bounded ({@code insync.revocation.max-entries}) and pruned: ended bans and revocations older than {@code
 * retention} (by then every token issued before them has expired, if tokens live shorter) are removed on writes.
 */
public final class Revocations implements RevocationView {
  private static final Logger log = LoggerFactory.getLogger(Revocations.class);

  static final Key<LWWMap<String, String>> KEY = LWWMapKey.create("insync-revocations");

  /** {@code insync.revocation}: see cluster reference.conf. */
  public record Settings(Duration writeTimeout, Duration retention, int maxEntries) {
    public static Settings fromConfig(Config root) {
      Config c = root.getConfig("insync.revocation");
      Settings s = new Settings(c.getDuration("write-timeout"), c.getDuration("retention"), c.getInt("max-entries"));
      if (s.maxEntries < 1) throw new IllegalArgumentException("insync.revocation.max-entries must be at least 1");
      if (s.retention.isNegative() || s.retention.isZero()) {
        throw new IllegalArgumentException("insync.revocation.retention must be positive");
      }
      return s;
    }
  }

  /** A session this node admitted: its device and the issue time of its token. */
  private record Admitted(String device, Instant issuedAt) {}

  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final Settings settings;
  private final Clock clock;
  private final ActorSystem<?> system;
  private volatile Map<String, Revocation> local = Map.of();
  private final Map<String, Map<ActorRef<UserEntity.DeviceEvent>, Admitted>> sessions = new ConcurrentHashMap<>();

  private Revocations(ActorSystem<?> system, Settings settings, Clock clock) {
    this.system = system;
    DistributedData ddata = DistributedData.get(system);
    this.replicator = ddata.replicator();
    this.self = ddata.selfUniqueAddress();
    this.settings = settings;
    this.clock = clock;
  }

  /** Subscribes this node's copy to the replicated map. */
  public static Revocations start(ActorSystem<?> system) {
    Revocations r = new Revocations(system, Settings.fromConfig(system.settings().config()), Clock.systemUTC());
    system.systemActorOf(Behaviors.<Replicator.SubscribeResponse<LWWMap<String, String>>>setup(ctx -> {
      r.replicator.tell(new Replicator.Subscribe<>(KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(m -> {
        if (m instanceof Replicator.Changed<LWWMap<String, String>> c) r.replace(c.dataValue().getEntries());
        return Behaviors.same();
      });
    }), "insync-revocations", Props.empty());
    return r;
  }

  private void replace(Map<String, String> entries) {
    Map<String, Revocation> before = local;
    Map<String, Revocation> next = new TreeMap<>();
    entries.forEach((k, v) -> Revocation.parse(k, v).ifPresent(x -> next.put(k, x)));
    local = java.util.Collections.unmodifiableMap(next);
    Set<String> changed = new java.util.HashSet<>();
    next.forEach((k, v) -> {
      if (!v.equals(before.get(k))) changed.add(v.user());
    });
    for (String user : changed) enforce(user);
  }

  /** Closes the sessions of {@code user} this node admitted that the revocations now refuse. */
  private void enforce(String user) {
    Map<ActorRef<UserEntity.DeviceEvent>, Admitted> of = sessions.get(user);
    if (of == null) return;
    Instant now = clock.instant();
    of.forEach((session, a) -> refusal(user, a.device(), a.issuedAt(), now).ifPresent(why -> {
      log.info("closing the session of {}/{}: {}", user, a.device(), why);
      session.tell(new UserEntity.LoggedOut(user, a.device(), ErrorCode.AUTH_FAILED, why));
    }));
  }

  @Override
  public Optional<String> refusal(String user, String device, Instant issuedAt, Instant now) {
    Map<String, Revocation> m = local;
    return m.isEmpty() ? Optional.empty() : Revocation.refusal(m, user, device, issuedAt, now);
  }

  @Override
  public void admitted(String user, String device, Instant issuedAt, ActorRef<UserEntity.DeviceEvent> session) {
    sessions.computeIfAbsent(user, u -> new ConcurrentHashMap<>()).put(session, new Admitted(device, issuedAt));
    // a change that arrived while this session was authenticating: enforced now
    refusal(user, device, issuedAt, clock.instant()).ifPresent(why ->
        session.tell(new UserEntity.LoggedOut(user, device, ErrorCode.AUTH_FAILED, why)));
  }

  @Override
  public void gone(String user, ActorRef<UserEntity.DeviceEvent> session) {
    sessions.computeIfPresent(user, (u, m) -> {
      m.remove(session);
      return m.isEmpty() ? null : m;
    });
  }

  /** Every entry this node knows, by key (sorted). */
  public List<Revocation> all() {
    return List.copyOf(local.values());
  }

  /** Bans {@code user} until {@code until} (null: until lifted); every session of the user is closed. */
  public CompletionStage<Revocation> ban(String user, Instant until, String who, String reason) {
    long now = clock.millis();
    return write(new Revocation(Revocation.Kind.BAN, check(user), null, now, until == null ? 0 : until.toEpochMilli(),
        who, reason));
  }

  /** Lifts {@code user}'s ban; completes with whether there was one. */
  public CompletionStage<Boolean> unban(String user) {
    String key = Revocation.key(Revocation.Kind.BAN, check(user), null);
    boolean had = local.containsKey(key);
    return update(m -> m.getEntries().containsKey(key) ? m.remove(self, key) : m).thenApply(v -> had);
  }

  /**
   * Refuses, from now on, the tokens of {@code user} (of its {@code device} only, if not null) issued before now;
   * their sessions are closed. Tokens issued later are accepted.
   */
  public CompletionStage<Revocation> revoke(String user, String device, String who, String reason) {
    if (device != null && !Ids.isValidDeviceId(device)) throw new IllegalArgumentException("invalid device id '" + device + "'");
    long now = clock.millis();
    return write(new Revocation(Revocation.Kind.REVOKE, check(user), device, now, now, who, reason));
  }

  private static String check(String user) {
    if (user == null || !Ids.isValidUserId(user)) throw new IllegalArgumentException("invalid user id '" + user + "'");
    return user;
  }

  private CompletionStage<Revocation> write(Revocation r) {
    if (r.reason().length() > 200) throw new IllegalArgumentException("reason is at most 200 characters");
    if (r.who().length() > 64) throw new IllegalArgumentException("who is at most 64 characters");
    return update(m -> {
      LWWMap<String, String> pruned = prune(m, r.at());
      if (!pruned.getEntries().containsKey(r.key()) && pruned.size() >= settings.maxEntries()) {
        throw new IllegalStateException("the cluster holds insync.revocation.max-entries (" + settings.maxEntries()
            + ") bans and revocations: lift bans, or wait for old revocations to pass their retention");
      }
      return pruned.put(self, r.key(), r.value());
    }).thenApply(v -> {
      Map<String, Revocation> m = new HashMap<>(local);
      m.put(r.key(), r);
      local = java.util.Collections.unmodifiableMap(new TreeMap<>(m));
      enforce(r.user()); // this node at once, the others when they see the change
      return r;
    });
  }

  /** {@code m} without ended bans and revocations past the retention. */
  private LWWMap<String, String> prune(LWWMap<String, String> m, long nowMs) {
    List<String> old = new ArrayList<>();
    m.getEntries().forEach((k, v) -> {
      Optional<Revocation> r = Revocation.parse(k, v);
      boolean expired = r.isEmpty() || !r.get().active(nowMs)
          || r.get().kind() == Revocation.Kind.REVOKE && r.get().at() < nowMs - settings.retention().toMillis();
      if (expired) old.add(k);
    });
    LWWMap<String, String> out = m;
    for (String k : old) out = out.remove(self, k);
    return out;
  }

  private CompletionStage<Void> update(java.util.function.Function<LWWMap<String, String>, LWWMap<String, String>> f) {
    CompletionStage<Replicator.UpdateResponse<LWWMap<String, String>>> answer = AskPattern.ask(replicator,
        (ActorRef<Replicator.UpdateResponse<LWWMap<String, String>>> replyTo) -> new Replicator.Update<>(KEY,
            LWWMap.create(), new Replicator.WriteAll(settings.writeTimeout()), replyTo, f),
        settings.writeTimeout().plusSeconds(1), system.scheduler());
    return answer.thenApply(r -> {
      if (r instanceof Replicator.ModifyFailure<?> mf) {
        Throwable cause = mf.cause();
        throw cause instanceof RuntimeException re ? re : new IllegalStateException(cause);
      }
      if (!(r instanceof Replicator.UpdateSuccess<?>) && !(r instanceof Replicator.UpdateTimeout<?>)) {
        throw new IllegalStateException("the revocation was not written: " + r);
      }
      if (r instanceof Replicator.UpdateTimeout<?>) {
        log.warn("not every node confirmed the revocation within {}: gossip carries it on", settings.writeTimeout());
      }
      return null;
    });
  }
}
