package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway directory on a real two-node cluster in this JVM. The replicator tells subscribers of
 * a change only every 20 s here, so what a node names must come from its replica, not from a
 * subscription; and the joining node's port is the lower one, so its own Joining event comes before
 * the Up event of the node it joins (member events are in address order).
 */
class GatewayDirectoryTest {
  static ActorSystem<Void> first;
  static ActorSystem<Void> joiner;
  static GatewayDirectory firstDirectory;
  static GatewayDirectory joinerDirectory;

  @BeforeAll
  static void formCluster() throws Exception {
    int[] ports = freePorts();
    first = system(ports[1]);
    firstDirectory = GatewayDirectory.start(first, Duration.ofSeconds(3));
    Cluster.get(first).manager().tell(Join.create(Cluster.get(first).selfMember().address()));
    joiner = system(ports[0]);
    joinerDirectory = GatewayDirectory.start(joiner, Duration.ofSeconds(3)); // before the join, as a node does
    Cluster.get(joiner).manager().tell(Join.create(Cluster.get(first).selfMember().address()));
    awaitUp(first, 2);
    awaitUp(joiner, 2);
    firstDirectory.publish("127.0.0.1:7410", "ws://127.0.0.1:7411/sync").toCompletableFuture().get(10, TimeUnit.SECONDS);
    joinerDirectory.publish("127.0.0.1:7420", "").toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void shutdown() throws Exception {
    for (ActorSystem<Void> s : new ActorSystem[] {joiner, first}) {
      if (s != null) {
        s.terminate();
        s.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void eachNodeNamesTheOtherAsSoonAsItsEntryHasArrivedNotAtTheNextNotifyTick() throws Exception {
    awaitReplicaHolds(joinerDirectory, 1);
    assertEquals(List.of(new GatewayDirectory.Entry(address(first), "127.0.0.1:7410", "ws://127.0.0.1:7411/sync")),
        joinerDirectory.others().toCompletableFuture().get(5, TimeUnit.SECONDS));
    awaitReplicaHolds(firstDirectory, 1);
    assertEquals(List.of(new GatewayDirectory.Entry(address(joiner), "127.0.0.1:7420", "")),
        firstDirectory.others().toCompletableFuture().get(5, TimeUnit.SECONDS), "no WebSocket: empty");
  }

  @Test
  void aNodeThatStartsToLeaveStillNamesTheMembersItJoined() throws Exception {
    awaitReplicaHolds(joinerDirectory, 1);
    joinerDirectory.freeze(); // what the leave does first, whatever membership does next
    assertEquals(List.of("127.0.0.1:7410"), joinerDirectory.others().toCompletableFuture().get(5, TimeUnit.SECONDS)
        .stream().map(GatewayDirectory.Entry::tcp).toList());
  }

  /**
   * The replica gets the other's entry by the write-all of its publish or by gossip, in either case
   * within seconds; this waits for that (bounded), and the assertions then need no further wait.
   */
  private static void awaitReplicaHolds(GatewayDirectory d, int n) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (d.others().toCompletableFuture().get(5, TimeUnit.SECONDS).size() < n) {
      if (System.nanoTime() > deadline) throw new AssertionError("the directory never named " + n + " other gateways");
      Thread.sleep(50);
    }
  }

  private static ActorSystem<Void> system(int port) {
    Config config = ConfigFactory.parseMap(Map.of(
            "pekko.actor.provider", "cluster",
            "pekko.remote.artery.canonical.hostname", "127.0.0.1",
            "pekko.remote.artery.canonical.port", port,
            "pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on",
            "pekko.cluster.distributed-data.notify-subscribers-interval", "20s"))
        .withFallback(ConfigFactory.load());
    return ActorSystem.create(Behaviors.empty(), "directory-test", config);
  }

  private static void awaitUp(ActorSystem<?> system, int members) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      long up = 0;
      for (org.apache.pekko.cluster.Member m : Cluster.get(system).state().getMembers()) {
        if (m.status() == MemberStatus.up()) up++;
      }
      if (up >= members) return;
      if (System.nanoTime() > deadline) throw new AssertionError("only " + up + " members Up");
      Thread.sleep(50);
    }
  }

  private static String address(ActorSystem<?> system) {
    return Cluster.get(system).selfMember().address().toString();
  }

  /** Two free loopback ports, lower first. */
  private static int[] freePorts() throws Exception {
    try (ServerSocket a = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
         ServerSocket b = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int x = a.getLocalPort();
      int y = b.getLocalPort();
      return new int[] {Math.min(x, y), Math.max(x, y)};
    }
  }
}
