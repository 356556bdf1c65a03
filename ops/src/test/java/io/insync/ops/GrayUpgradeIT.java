package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A rolling upgrade as a gray release (issue 10, item 3): three nodes run build {@code 1.0.0}
 * ({@code pekko.cluster.app-version}) under steady 1:1 load; then, one at a time, c, b and a leave
 * gracefully (SIGTERM) and come back on the same client port as build {@code 1.0.1}, the next one only
 * once the upgraded node is ready and the shards of the one that left have found a home again.
 *
 * <p>What it checks: once a node of the new build is Up, the shards of a leaving old node go to new
 * nodes only, never to the remaining old one (sharding allocates to the newest app-version first, and
 * does not rebalance while versions are mixed); at the end every shard is on the new build; and through
 * it all no send failed, nothing was lost or duplicated, and every inbox is in send order.
 */
@ExtendWith(CassandraExtension.class)
class GrayUpgradeIT {
  private static final String OLD = "1.0.0";
  private static final String NEW = "1.0.1";
  private static final int PAIRS = 8;

  /** One node's User shards and app-version, as {@code GET /insync/shards} reports it. */
  record Hosting(String version, int shards) {}

  @Test
  void shardsMoveToTheNewBuildAsNodesRollAndNothingIsLost() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    NodeProcess[] nodes = new NodeProcess[3];
    try {
      nodes[0] = new NodeProcess(cassandra, "gray-a").withJvmArgs(version(OLD));
      nodes[0].withSeeds(nodes[0].clusterAddress()).start();
      for (int n = 1; n < 3; n++) {
        nodes[n] = new NodeProcess(cassandra, "gray-" + (char) ('a' + n)).withJvmArgs(version(OLD))
            .withSeeds(nodes[0].clusterAddress()).start();
      }
      int[] ports = {nodes[0].tcpPort(), nodes[1].tcpPort(), nodes[2].tcpPort()};
      try (PairLoad load = new PairLoad(run, PAIRS, ports)) {
        load.connectAll();
        load.start(40);
        assertTrue(load.awaitAcked(200, Duration.ofSeconds(90)), "the load runs");
        Map<String, Hosting> before = settled(nodes[0], 3, Duration.ofSeconds(60));
        int total = userShards(before);
        assertTrue(total >= 4, "the load's users live in several shards: " + before);
        before.values().forEach(h -> assertEquals(OLD, h.version(), "every node runs the old build: " + before));
        System.out.println("gray upgrade, before: " + before);

        for (int n = 2; n >= 0; n--) {
          NodeProcess leaving = nodes[n];
          NodeProcess asker = nodes[(n + 1) % 3];
          String leavingAddress = leaving.clusterAddress();
          Map<String, Hosting> beforeLeave = settled(asker, 3, Duration.ofSeconds(60));
          leaving.close(); // SIGTERM: a graceful leave, its shards handed off; returns when it has exited
          assertEquals(143, leaving.exitCode(), "the old node left and exited by itself");
          Map<String, Hosting> afterLeave = settled(asker, 2, Duration.ofSeconds(90));
          assertEquals(total, userShards(afterLeave), "every shard has a home again: " + afterLeave);
          boolean newBuildWasUp = beforeLeave.values().stream().anyMatch(h -> NEW.equals(h.version()));
          for (Map.Entry<String, Hosting> e : afterLeave.entrySet()) {
            Hosting was = beforeLeave.get(e.getKey());
            if (newBuildWasUp && OLD.equals(e.getValue().version())) {
              // the heart of it: with a new node Up, an old node takes nothing of the one that left
              assertEquals(was.shards(), e.getValue().shards(),
                  () -> "old node " + e.getKey() + " gained shards while a new one was Up: " + beforeLeave + " -> " + afterLeave);
            }
          }
          System.out.printf("gray upgrade: %s left; %s -> %s%n", leavingAddress, beforeLeave, afterLeave);
          nodes[n] = new NodeProcess(cassandra, "gray-" + (char) ('a' + n) + "-" + NEW, ports[n])
              .withJvmArgs(version(NEW)).withSeeds(nodes[(n + 1) % 3].clusterAddress(), nodes[(n + 2) % 3].clusterAddress())
              .start();
          int acked = load.ackedCount();
          assertTrue(load.awaitAcked(acked + 80, Duration.ofSeconds(60)), "the load goes on after the upgrade of " + n);
        }

        Map<String, Hosting> after = settled(nodes[0], 3, Duration.ofSeconds(60));
        System.out.println("gray upgrade, after: " + after);
        after.values().forEach(h -> assertEquals(NEW, h.version(), "every node runs the new build: " + after));
        assertEquals(total, userShards(after), "every shard is on the new build");
        ManagementIT.Run table = ManagementIT.admin("shards", "--region", "User", "--url", ManagementIT.url(nodes[1]));
        assertEquals(0, table.exit(), table::err);
        assertTrue(table.out().contains(NEW) && !table.out().contains(OLD), () -> "admin shards shows the versions:\n" + table.out());
        System.out.print(table.out());

        load.stop();
        load.awaitAllAcked(Duration.ofSeconds(150));
        load.verifyInboxes(id -> false, ports);
        System.out.printf("gray upgrade: %d sends, all acked, none lost or duplicated, %d reconnects%n",
            load.sentCount(), load.disconnects());
      }
    } finally {
      for (NodeProcess node : nodes) if (node != null) node.close();
    }
  }

  private static String version(String v) {
    return "-Dpekko.cluster.app-version=" + v;
  }

  private static int userShards(Map<String, Hosting> byNode) {
    return byNode.values().stream().mapToInt(Hosting::shards).sum();
  }

  /**
   * {@code GET /insync/shards?region=User} on {@code node} until it lists {@code members} nodes, every one
   * with a version, and two answers a second apart agree (the hand-off and the re-allocation under the load
   * have finished).
   */
  private static Map<String, Hosting> settled(NodeProcess node, int members, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<String, Hosting> last = Map.of();
    String why = "no answer";
    while (System.nanoTime() < deadline) {
      ManagementIT.Answer a = ManagementIT.get(node, "/insync/shards?region=User");
      if (a.status() == 200) {
        Map<String, Hosting> now = hosting(a.body());
        if (now.size() == members && now.values().stream().allMatch(h -> h.version() != null) && now.equals(last)) {
          return now;
        }
        last = now;
        why = a.body();
      } else {
        why = a.status() + " " + a.body();
      }
      Thread.sleep(1000);
    }
    throw new AssertionError("the shards did not settle on " + members + " nodes within " + timeout + ": " + why);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Hosting> hosting(String body) {
    Map<String, Hosting> out = new TreeMap<>();
    Map<String, Object> json = (Map<String, Object>) MiniJson.parse(body);
    for (Map<String, Object> n : (List<Map<String, Object>>) json.get("nodes")) {
      Map<String, Object> user = (Map<String, Object>) ((Map<String, Object>) n.get("regions")).get("User");
      if (n.get("version") == null && ((Number) user.get("shards")).intValue() == 0) continue; // gone, and empty
      out.put((String) n.get("node"), new Hosting((String) n.get("version"), ((Number) user.get("shards")).intValue()));
    }
    return out;
  }
}
