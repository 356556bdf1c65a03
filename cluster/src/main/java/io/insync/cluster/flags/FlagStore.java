package io.insync.cluster.flags;

import com.typesafe.config.Config;
import io.insync.core.Ids;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicReference;
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
 * The cluster's feature flags: one replicated map (Distributed Data, an {@code LWWMap} of flag name to {@link
 * Flag}, values Kryo-registered) and this node's copy of it, kept by a subscription. The hot path ({@link #on},
 * {@link #segments}) reads that copy: a volatile field, no message, no network. A change ({@link #change}) is
 * written to every node at once ({@code WriteAll} within {@code insync.flags.write-timeout}; a node that did not
 * answer gets it by gossip) and each node's subscribers see it on the replicator's next notify tick
 * ({@code pekko.cluster.distributed-data.notify-subscribers-interval}).
 *
 * <p>Concurrent changes of one flag on two nodes: the later write wins whole (with its audit trail). Flags live in
 * memory only: they survive any node as long as one node of the cluster runs; a cluster started from nothing has
 * every flag off.
 */
public final class FlagStore implements FlagView {
  private static final Logger log = LoggerFactory.getLogger(FlagStore.class);

  static final Key<LWWMap<String, Flag>> KEY = LWWMapKey.create("insync-flags");

  /** {@code insync.flags}: see cluster reference.conf. */
  public record Settings(int auditSize, int maxFlags, int maxListEntries, Duration writeTimeout) {
    public static Settings fromConfig(Config root) {
      Config c = root.getConfig("insync.flags");
      Settings s = new Settings(c.getInt("audit-size"), c.getInt("max-flags"), c.getInt("max-list-entries"),
          c.getDuration("write-timeout"));
      if (s.auditSize < 1) throw new IllegalArgumentException("insync.flags.audit-size must be at least 1");
      if (s.maxFlags < 1) throw new IllegalArgumentException("insync.flags.max-flags must be at least 1");
      return s;
    }
  }

  /** A flag with guards and its two segment tag values, made once per change (not per request). */
  private record Guarded(Flag flag, String on, String off) {}

  private final ActorSystem<?> system;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final Settings settings;
  private volatile Map<String, Flag> local = Map.of();
  private volatile List<Guarded> guarded = List.of();

  private FlagStore(ActorSystem<?> system, Settings settings) {
    this.system = system;
    DistributedData ddata = DistributedData.get(system);
    this.replicator = ddata.replicator();
    this.self = ddata.selfUniqueAddress();
    this.settings = settings;
  }

  /** Subscribes this node's copy to the replicated map. */
  public static FlagStore start(ActorSystem<?> system) {
    FlagStore store = new FlagStore(system, Settings.fromConfig(system.settings().config()));
    system.systemActorOf(Behaviors.<Replicator.SubscribeResponse<LWWMap<String, Flag>>>setup(ctx -> {
      store.replicator.tell(new Replicator.Subscribe<>(KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(r -> {
        if (r instanceof Replicator.Changed<LWWMap<String, Flag>> c) store.replace(c.dataValue().getEntries());
        return Behaviors.same();
      });
    }), "insync-flags", Props.empty());
    return store;
  }

  public Settings settings() {
    return settings;
  }

  private synchronized void replace(Map<String, Flag> entries) {
    Map<String, Flag> before = local;
    Map<String, Flag> next = Collections.unmodifiableMap(new TreeMap<>(entries));
    local = next;
    List<Guarded> g = new ArrayList<>();
    for (Flag f : next.values()) if (!f.guards().isEmpty()) g.add(new Guarded(f, f.name() + ":on", f.name() + ":off"));
    guarded = List.copyOf(g);
    for (Flag f : next.values()) {
      Flag old = before.get(f.name());
      if (old == null || !old.equals(f)) {
        log.info("flag {} is now {} on this node{}", f.name(), f.summary(),
            f.lastChange().map(c -> " (by " + c.who() + ", was " + c.from() + ")").orElse(""));
      }
    }
  }

  private synchronized void putLocal(Flag f) {
    Map<String, Flag> m = new TreeMap<>(local);
    m.put(f.name(), f);
    replace(m);
  }

  /** Every flag this node knows, by name. */
  public Map<String, Flag> all() {
    return local;
  }

  public Optional<Flag> get(String name) {
    return Optional.ofNullable(local.get(name));
  }

  @Override
  public boolean on(String flag, String user) {
    Flag f = local.get(flag);
    return f != null && f.includes(user, setOf(user));
  }

  @Override
  public String[] segments(String user) {
    List<Guarded> g = guarded;
    if (g.isEmpty()) return NO_SEGMENTS;
    String[] out = new String[g.size()];
    Optional<String> set = setOf(user);
    for (int i = 0; i < out.length; i++) out[i] = g.get(i).flag().includes(user, set) ? g.get(i).on() : g.get(i).off();
    return out;
  }

  /** A user's SET: none until SETs are built (so a flag's {@code sets} match nobody yet). */
  static Optional<String> setOf(String user) {
    return Optional.empty();
  }

  /** Why {@code u} cannot be applied to flag {@code name}, if it cannot. */
  public Optional<String> problem(String name, Flag.Update u) {
    if (name == null || !Ids.isValidUserId(name)) {
      return Optional.of("invalid flag name '" + name + "': 1 to 64 characters from A-Z a-z 0-9 . _ @ -");
    }
    if (u.basisPoints().isPresent() && (u.basisPoints().get() < 0 || u.basisPoints().get() > Buckets.COUNT)) {
      return Optional.of("the percentage must be between 0 and 100");
    }
    Flag current = local.getOrDefault(name, Flag.off(name));
    int entries = u.allow().orElse(current.allow()).size() + u.deny().orElse(current.deny()).size()
        + u.sets().orElse(current.sets()).size();
    if (entries > settings.maxListEntries()) {
      return Optional.of("allow, deny and sets together hold at most " + settings.maxListEntries()
          + " entries (insync.flags.max-list-entries); this change has " + entries);
    }
    for (List<String> l : List.of(u.allow().orElse(List.of()), u.deny().orElse(List.of()))) {
      for (String id : l) if (!Ids.isValidUserId(id)) return Optional.of("invalid user id '" + id + "'");
    }
    if (!local.containsKey(name) && local.size() >= settings.maxFlags()) {
      return Optional.of("the cluster has " + local.size() + " flags already (insync.flags.max-flags)");
    }
    return Optional.empty();
  }

  /**
   * Applies {@code u} to flag {@code name} (an unknown flag starts off), audited as made by {@code who}, on this
   * node's replica first and then on every node; completes with the flag as it is after the change (the same flag
   * when the change changed nothing), or fails with the reason ({@link #problem}).
   */
  public CompletionStage<Flag> change(String name, Flag.Update u, String who) {
    Optional<String> problem = problem(name, u);
    if (problem.isPresent()) return CompletableFuture.failedFuture(new IllegalArgumentException(problem.get()));
    AtomicReference<Flag> result = new AtomicReference<>();
    long now = System.currentTimeMillis();
    CompletionStage<Replicator.UpdateResponse<LWWMap<String, Flag>>> answer = AskPattern.ask(replicator,
        (ActorRef<Replicator.UpdateResponse<LWWMap<String, Flag>>> replyTo) -> new Replicator.Update<>(KEY,
            LWWMap.create(), new Replicator.WriteAll(settings.writeTimeout()), replyTo, map -> {
              Flag cur = map.getEntries().get(name);
              if (cur == null && map.getEntries().size() >= settings.maxFlags()) {
                throw new IllegalArgumentException("the cluster has " + map.getEntries().size()
                    + " flags already (insync.flags.max-flags)");
              }
              Flag before = cur != null ? cur : Flag.off(name);
              Flag next = before.apply(u, who, now, settings.auditSize());
              result.set(next);
              return cur != null && next == cur ? map : map.put(self, name, next);
            }),
        settings.writeTimeout().plusSeconds(2), system.scheduler());
    return answer.thenCompose(r -> {
      if (r instanceof Replicator.ModifyFailure<LWWMap<String, Flag>> f) {
        return CompletableFuture.failedFuture(new IllegalArgumentException(f.errorMessage()));
      }
      if (r instanceof Replicator.UpdateTimeout<?>) {
        // applied here; the nodes that did not answer in time get it by gossip
        log.warn("flag {}: not every node confirmed the change within {}; gossip spreads it", name,
            settings.writeTimeout());
      } else if (!(r instanceof Replicator.UpdateSuccess<?>)) {
        return CompletableFuture.failedFuture(new IllegalStateException("flag " + name + " not changed: " + r));
      }
      Flag f = result.get();
      putLocal(f);
      return CompletableFuture.completedFuture(f);
    });
  }

  private static final String[] NO_SEGMENTS = new String[0];
}
