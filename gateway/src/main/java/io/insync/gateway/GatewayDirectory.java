package io.insync.gateway;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Where clients reach every node's gateway: each node publishes its TCP address and WebSocket
 * URL in one replicated map (Distributed Data, an {@code LWWMap} keyed by the node's cluster
 * address, values of plain strings so nothing needs a serializer of ours). A node that leaves
 * names the others in its {@code Redirect} ({@link #others()}), read from its local replica at that
 * moment: a subscription's {@code Changed} comes only on the replicator's notify tick (0.5 s by
 * default), and a leave that follows a join closely would otherwise name nobody.
 *
 * <p>Only members that are {@code Up} now count: an entry of a node that left or crashed (an old
 * incarnation of a restarted node, a node whose entry was never withdrawn) is kept in the map but
 * never offered, and a node that is {@code Leaving} is not offered either. A node withdraws its own
 * entry first thing when it leaves, so that the others stop naming it at once.
 */
public final class GatewayDirectory {
  /** One node's gateway, as clients reach it; {@code webSocket} is empty when it has none. */
  public record Entry(String node, String tcp, String webSocket) {}

  static final Key<LWWMap<String, String>> KEY = LWWMapKey.create("insync-gateways");

  private final ActorSystem<?> system;
  private final ActorRef<Replicator.Command> replicator;
  private final SelfUniqueAddress self;
  private final String selfNode;
  private final Duration writeTimeout;
  /**
   * The other members that are Up, from member events, frozen once this node starts to leave: a node
   * removed from the cluster sees no members at all any more, and its leave (a Leave from the
   * cluster runs coordinated shutdown when it is Exiting) may reach the Redirect after that.
   */
  private final java.util.Set<String> upOthers = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private volatile boolean frozen;

  private GatewayDirectory(ActorSystem<?> system, Duration writeTimeout) {
    this.system = system;
    DistributedData ddata = DistributedData.get(system);
    this.replicator = ddata.replicator();
    this.self = ddata.selfUniqueAddress();
    this.selfNode = self.uniqueAddress().address().toString();
    this.writeTimeout = writeTimeout;
  }

  /**
   * Subscribes to the map on {@code system} (to log its changes); {@code writeTimeout} bounds a
   * publish (written to all nodes) or a withdraw (to a majority).
   */
  public static GatewayDirectory start(ActorSystem<?> system, Duration writeTimeout) {
    GatewayDirectory d = new GatewayDirectory(system, writeTimeout);
    system.systemActorOf(Behaviors.<Replicator.SubscribeResponse<LWWMap<String, String>>>setup(ctx -> {
      d.replicator.tell(new Replicator.Subscribe<>(KEY, ctx.getSelf()));
      return Behaviors.receiveMessage(r -> {
        if (r instanceof Replicator.Changed<LWWMap<String, String>> c) {
          ctx.getLog().info("gateway directory: {}",
              c.dataValue().getEntries().values().stream().map(v -> v.replace('\n', ' ')).toList());
        }
        return Behaviors.same();
      });
    }), "gateway-directory", Props.empty());
    ActorRef<org.apache.pekko.cluster.ClusterEvent.MemberEvent> members = system.systemActorOf(
        Behaviors.<org.apache.pekko.cluster.ClusterEvent.MemberEvent>receiveMessage(e -> {
          d.onMemberEvent(e);
          return Behaviors.same();
        }), "gateway-directory-members", Props.empty());
    Cluster.get(system).subscriptions().tell(new org.apache.pekko.cluster.typed.Subscribe<>(members,
        org.apache.pekko.cluster.ClusterEvent.MemberEvent.class));
    return d;
  }

  /**
   * Puts this node's client addresses in the map ({@code webSocket} "" if none), written to every
   * node (within the write timeout; gossip spreads it anyway if some did not answer), so that a node
   * that leaves right after this one started names it.
   */
  public CompletionStage<Done> publish(String tcp, String webSocket) {
    String value = tcp + "\n" + webSocket;
    return update(map -> map.put(self, selfNode, value), new Replicator.WriteAll(writeTimeout));
  }

  /** Takes this node out of the map (it is leaving). */
  public CompletionStage<Done> withdraw() {
    return update(map -> map.remove(self, selfNode), new Replicator.WriteMajority(writeTimeout));
  }

  private CompletionStage<Done> update(java.util.function.Function<LWWMap<String, String>, LWWMap<String, String>> f,
      Replicator.WriteConsistency consistency) {
    CompletionStage<Replicator.UpdateResponse<LWWMap<String, String>>> answer = AskPattern.ask(replicator,
        (ActorRef<Replicator.UpdateResponse<LWWMap<String, String>>> replyTo) ->
            new Replicator.Update<>(KEY, LWWMap.create(), consistency, replyTo, f),
        writeTimeout.plusSeconds(1), system.scheduler());
    // a write that reached only some nodes still spreads by gossip: it is not a failure here
    return answer.handle((r, e) -> Done.getInstance());
  }

  private void onMemberEvent(org.apache.pekko.cluster.ClusterEvent.MemberEvent e) {
    String node = e.member().address().toString();
    if (node.equals(selfNode)) {
      // leaving, exiting, down or removed; not joining: this node's own Joining event may come before
      // the Up events of the members it joins (events are in address order), and freezing then would
      // leave them out for good
      if (isGoing(e.member().status())) frozen = true;
      return;
    }
    if (frozen) return;
    if (e instanceof org.apache.pekko.cluster.ClusterEvent.MemberUp) upOthers.add(node);
    else upOthers.remove(node); // left, exited, removed, downed
  }

  private static boolean isGoing(MemberStatus s) {
    return s == MemberStatus.leaving() || s == MemberStatus.exiting() || s == MemberStatus.down()
        || s == MemberStatus.removed();
  }

  /** Takes the set of other Up members as it is now; from then on member events no longer change it. */
  public void freeze() {
    for (org.apache.pekko.cluster.Member m : Cluster.get(system).state().getMembers()) {
      String node = m.address().toString();
      if (m.status() == MemberStatus.up() && !node.equals(selfNode)) upOthers.add(node);
    }
    frozen = true;
  }

  /**
   * The gateways of the other members that are Up (as this node last saw them before it started to
   * leave), in the order of their cluster addresses; never this node's own. Read from this node's
   * replica of the map now, so an entry that has reached this node is named even if no subscriber has
   * been told of it yet.
   */
  public CompletionStage<List<Entry>> others() {
    return read(false);
  }

  /** The gateways of every member that is Up, this node's own included (access routing, {@link AccessRouting}). */
  public CompletionStage<List<Entry>> all() {
    return read(true);
  }

  private CompletionStage<List<Entry>> read(boolean withSelf) {
    CompletionStage<Replicator.GetResponse<LWWMap<String, String>>> answer = AskPattern.ask(replicator,
        (ActorRef<Replicator.GetResponse<LWWMap<String, String>>> replyTo) ->
            new Replicator.Get<>(KEY, Replicator.readLocal(), replyTo),
        writeTimeout, system.scheduler());
    return answer.thenApply(r -> r instanceof Replicator.GetSuccess<LWWMap<String, String>> ok
        ? entries(ok.dataValue().getEntries(), withSelf) : List.of()); // NotFound: no node has published yet
  }

  private List<Entry> entries(Map<String, String> now, boolean withSelf) {
    List<Entry> out = new ArrayList<>();
    java.util.Set<String> up = new java.util.HashSet<>(upOthers);
    if (!frozen) {
      // not leaving: the current state is the truth (and covers members up before the subscription)
      up.clear();
      for (org.apache.pekko.cluster.Member m : Cluster.get(system).state().getMembers()) {
        if (m.status() == MemberStatus.up()) up.add(m.address().toString());
      }
    }
    for (String node : orderedNodes(now)) {
      if (!up.contains(node) || !withSelf && node.equals(selfNode)) continue; // up has this node only if not leaving
      String value = now.get(node);
      int nl = value.indexOf('\n');
      out.add(nl < 0 ? new Entry(node, value, "") : new Entry(node, value.substring(0, nl), value.substring(nl + 1)));
    }
    return out;
  }

  private static List<String> orderedNodes(Map<String, String> entries) {
    return new ArrayList<>(new java.util.TreeSet<>(entries.keySet()));
  }
}
