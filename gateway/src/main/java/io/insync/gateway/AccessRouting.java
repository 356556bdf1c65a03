package io.insync.gateway;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Access routing (WeChat's GSLB → IP redirect): which gateways a client should use, in order, and the
 * operator's drain of one node.
 *
 * <p>Two replicated maps (Distributed Data, {@code LWWMap}s of plain strings, keyed by a node's cluster
 * address, a drain by the node's incarnation) beside the {@link GatewayDirectory}: {@code insync-gateway-load}, each node's open connections,
 * which every node writes for itself every {@code insync.gateway.access.load-interval}; and {@code
 * insync-drains}, the nodes being drained (value: the spread in ms), which any node writes when asked. The
 * node named there sees it through its subscription and sends its clients a {@code Redirect} spread over
 * the window ({@link TcpGateway#redirectOver}); the node's entry leaving the map undoes the drain. A drain
 * is keyed by the node's incarnation ({@code address#uid}), so a node restarted on the same address after a
 * drain is not draining: the old entry names an incarnation that is gone.
 */
public final class AccessRouting {
  private static final Logger log = LoggerFactory.getLogger(AccessRouting.class);

  /** One gateway as the access endpoint offers it. */
  public record Gateway(String node, String tcp, String webSocket, String idc, int connections) {}

  static final Key<LWWMap<String, String>> LOAD = LWWMapKey.create("insync-gateway-load");
  static final Key<LWWMap<String, String>> DRAINS = LWWMapKey.create("insync-drains");

  private final ActorSystem<?> system;
  private final GatewayDirectory directory;
  private final TcpGateway gateway;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final String selfNode;
  private final String selfIncarnation;
  private final Duration timeout;
  private final Duration defaultSpread;
  private volatile boolean draining;

  private AccessRouting(ActorSystem<?> system, GatewayDirectory directory, TcpGateway gateway) {
    this.system = system;
    this.directory = directory;
    this.gateway = gateway;
    DistributedData ddata = DistributedData.get(system);
    this.replicator = ddata.replicator();
    this.self = ddata.selfUniqueAddress();
    this.selfNode = self.uniqueAddress().address().toString();
    this.selfIncarnation = incarnation(self.uniqueAddress());
    this.timeout = Duration.ofSeconds(2);
    this.defaultSpread = system.settings().config().getDuration("insync.gateway.access.drain-spread");
  }

  /** Starts publishing this node's load and watching the drains (after {@code gateway} serves clients). */
  public static AccessRouting start(ActorSystem<?> system, GatewayDirectory directory, TcpGateway gateway) {
    AccessRouting a = new AccessRouting(system, directory, gateway);
    Duration interval = system.settings().config().getDuration("insync.gateway.access.load-interval");
    system.systemActorOf(Behaviors.<Object>setup(ctx -> {
      a.replicator.tell(new Replicator.Subscribe<>(DRAINS, ctx.getSelf().narrow()));
      return Behaviors.withTimers(timers -> {
        timers.startTimerWithFixedDelay("load", "load", Duration.ZERO, interval);
        return Behaviors.receiveMessage(msg -> {
          if ("load".equals(msg)) {
            String open = Integer.toString(gateway.openConnections());
            a.update(LOAD, m -> open.equals(m.getEntries().get(a.selfNode)) ? m : m.put(a.self, a.selfNode, open),
                Replicator.writeLocal());
          } else if (msg instanceof Replicator.Changed<?> c && c.dataValue() instanceof LWWMap<?, ?> drains) {
            Object spread = drains.getEntries().get(a.selfIncarnation);
            a.onDrains(spread == null ? null : Duration.ofMillis(Long.parseLong(spread.toString())));
          }
          return Behaviors.same();
        });
      });
    }), "access-routing", Props.empty());
    return a;
  }

  /** The spread of a drain when the request gives none ({@code insync.gateway.access.drain-spread}). */
  public Duration defaultSpread() {
    return defaultSpread;
  }

  /** Whether this node is draining now. */
  public boolean draining() {
    return draining;
  }

  /** The {@code grace_ms} of a drain's Redirect: clients wait a random part of half of it (docs/protocol.md). */
  static final int DRAIN_REDIRECT_GRACE_MS = 1000;

  private void onDrains(Duration spread) {
    if (spread != null && !draining) {
      draining = true;
      route(selfIdc()).whenComplete((gateways, e) -> {
        List<Gateway> to = e == null ? gateways : List.of();
        if (e != null) log.warn("drain: the gateway list is not known ({}): the Redirect names none", e.toString());
        Envelope redirect = Envelopes.redirect(to.stream().map(Gateway::tcp).toList(),
            to.stream().map(Gateway::webSocket).filter(w -> !w.isEmpty()).toList(),
            "this node is being drained", DRAIN_REDIRECT_GRACE_MS);
        if (draining) gateway.redirectOver(redirect, spread);
      });
    } else if (spread == null && draining) {
      draining = false;
      gateway.endRedirect();
      log.info("drain undone: this node serves clients again");
    }
  }

  /** {@link #route(String, long)} with a random tie-break. */
  public CompletionStage<List<Gateway>> route(String idc) {
    return route(idc, java.util.concurrent.ThreadLocalRandom.current().nextLong());
  }

  /**
   * The gateways a client in {@code idc} should use, in order (see {@link #order}): Up members whose gateway
   * is known and that are not draining. {@code tieBreak} orders gateways loaded about equally: a hash of the
   * user id keeps a user's answer stable, a random one spreads anonymous clients.
   */
  public CompletionStage<List<Gateway>> route(String idc, long tieBreak) {
    CompletableFuture<Map<String, String>> load = read(LOAD).toCompletableFuture();
    CompletableFuture<Map<String, String>> drains = read(DRAINS).toCompletableFuture();
    return directory.all().thenCombine(load, (entries, l) -> {
      Map<String, String> d = drains.join();
      Map<String, String> dcs = new HashMap<>();
      for (Member m : Cluster.get(system).state().getMembers()) {
        if (m.status() == MemberStatus.up() && !d.containsKey(incarnation(m.uniqueAddress()))) {
          dcs.put(m.address().toString(), m.dataCenter());
        }
      }
      List<Gateway> out = new ArrayList<>();
      for (GatewayDirectory.Entry e : entries) {
        if (!dcs.containsKey(e.node())) continue; // not Up, or draining
        int open = e.node().equals(selfNode) ? gateway.openConnections() : parse(l.get(e.node()));
        out.add(new Gateway(e.node(), e.tcp(), e.webSocket(), dcs.get(e.node()), open));
      }
      return order(out, idc, tieBreak);
    });
  }

  /** Gateways this close to the least loaded of their group count as equally loaded: max(this, 10%). */
  static final int LOAD_BAND = 20;

  /**
   * {@code idc}'s gateways first, then the others; within each group, the gateways within {@value #LOAD_BAND}
   * connections (or 10%) of the group's least loaded first, among themselves in the order of a hash of
   * {@code tieBreak} and the node (so that the clients asking at one moment do not all pick the same gateway:
   * the counts are up to {@code load-interval} old), then the rest by fewest connections, then by node.
   */
  static List<Gateway> order(List<Gateway> gateways, String idc, long tieBreak) {
    Map<Boolean, Integer> least = new HashMap<>();
    for (Gateway g : gateways) least.merge(g.idc().equals(idc), g.connections(), Math::min);
    java.util.function.Predicate<Gateway> inBand = g -> {
      int min = least.get(g.idc().equals(idc));
      return g.connections() <= min + Math.max(LOAD_BAND, min / 10);
    };
    return gateways.stream().sorted(Comparator.<Gateway>comparingInt(g -> g.idc().equals(idc) ? 0 : 1)
        .thenComparingInt(g -> inBand.test(g) ? 0 : 1)
        .thenComparingLong(g -> inBand.test(g) ? mix(tieBreak, g.node()) : g.connections())
        .thenComparing(Gateway::node)).toList();
  }

  /** A well-spread hash of a tie-break and a node (SplitMix64's finaliser). */
  static long mix(long tieBreak, String node) {
    long z = tieBreak * 0x9E3779B97F4A7C15L + node.hashCode();
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** This node's IDC ({@code pekko.cluster.multi-data-center.self-data-center}). */
  public String selfIdc() {
    return Cluster.get(system).selfMember().dataCenter();
  }

  /** The member {@code given} names (its address, or {@code host:port} of it), if it is a member now. */
  public Optional<Member> member(String given) {
    if (given == null || given.isBlank()) return Optional.empty();
    String g = given.strip();
    for (Member m : Cluster.get(system).state().getMembers()) {
      String a = m.address().toString();
      String hostPort = m.address().host().getOrElse(() -> "") + ":" + m.address().port().getOrElse(() -> 0);
      if (a.equals(g) || hostPort.equals(g)) return Optional.of(m);
    }
    return Optional.empty();
  }

  /**
   * Marks {@code node} draining, its clients moved over {@code spread}; written to every node. Completes
   * with whether every node took the write in time (if not, gossip carries it on within seconds).
   */
  public CompletionStage<Boolean> drain(Member node, Duration spread) {
    String millis = Long.toString(spread.toMillis());
    String key = incarnation(node.uniqueAddress());
    return update(DRAINS, m -> m.put(self, key, millis), new Replicator.WriteAll(timeout));
  }

  /** Undoes the drain of {@code node}; completes like {@link #drain}. */
  public CompletionStage<Boolean> cancel(Member node) {
    String key = incarnation(node.uniqueAddress());
    return update(DRAINS, m -> m.getEntries().containsKey(key) ? m.remove(self, key) : m,
        new Replicator.WriteAll(timeout));
  }

  /** The members draining now (their addresses, sorted), as this node's replica has them. */
  public CompletionStage<List<String>> drainingNodes() {
    return read(DRAINS).thenApply(d -> {
      List<String> out = new ArrayList<>();
      for (Member m : Cluster.get(system).state().getMembers()) {
        if (d.containsKey(incarnation(m.uniqueAddress()))) out.add(m.address().toString());
      }
      return out.stream().sorted().toList();
    });
  }

  /** How a drain names a node: its address and uid, so that a new incarnation on the address is not drained. */
  static String incarnation(org.apache.pekko.cluster.UniqueAddress node) {
    return node.address() + "#" + node.longUid();
  }

  private static int parse(String count) {
    try {
      return count == null ? 0 : Integer.parseInt(count);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private CompletionStage<Map<String, String>> read(Key<LWWMap<String, String>> key) {
    CompletionStage<Replicator.GetResponse<LWWMap<String, String>>> answer = AskPattern.ask(replicator,
        (ActorRef<Replicator.GetResponse<LWWMap<String, String>>> replyTo) ->
            new Replicator.Get<>(key, Replicator.readLocal(), replyTo), timeout, system.scheduler());
    return answer.thenApply(r -> r instanceof Replicator.GetSuccess<LWWMap<String, String>> ok
        ? ok.dataValue().getEntries() : Map.<String, String>of());
  }

  /** Whether the write reached as many nodes as {@code consistency} asks; one that did not still spreads by gossip. */
  private CompletionStage<Boolean> update(Key<LWWMap<String, String>> key,
      Function<LWWMap<String, String>, LWWMap<String, String>> f, Replicator.WriteConsistency consistency) {
    CompletionStage<Replicator.UpdateResponse<LWWMap<String, String>>> answer = AskPattern.ask(replicator,
        (ActorRef<Replicator.UpdateResponse<LWWMap<String, String>>> replyTo) ->
            new Replicator.Update<>(key, LWWMap.create(), consistency, replyTo, f),
        timeout.plusSeconds(1), system.scheduler());
    return answer.handle((r, e) -> e == null && r instanceof Replicator.UpdateSuccess<?>);
  }
}
