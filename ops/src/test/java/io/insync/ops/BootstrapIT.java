package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Item;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three node processes with no seed nodes form one cluster through Pekko Management cluster bootstrap, as on
 * bare metal: the {@code config} discovery method lists the three management endpoints (given to each node
 * with {@code insync node --config FILE}, as docs/operations.md tells an operator), and
 * required-contact-point-nr = 3, so the cluster forms only once all three answer. Then every node sees the
 * same three members Up, the user shards spread over all three, and messages between devices on different
 * nodes arrive.
 */
@ExtendWith(CassandraExtension.class)
class BootstrapIT {
  private static final int PAIRS = 6;
  private static final Duration START = Duration.ofSeconds(200);

  @Test
  void threeNodesWithoutSeedsFormOneClusterThroughConfigDiscovery() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (NodeProcess a = new NodeProcess(cassandra, "boot-a");
        NodeProcess b = new NodeProcess(cassandra, "boot-b");
        NodeProcess c = new NodeProcess(cassandra, "boot-c")) {
      List<NodeProcess> nodes = List.of(a, b, c);
      Path conf = Path.of("target", "it-nodes", "bootstrap-" + run + ".conf");
      Files.createDirectories(conf.getParent());
      Files.writeString(conf, "insync.management.bootstrap.enabled = on\n"
          + "pekko.management.cluster.bootstrap.contact-point-discovery.required-contact-point-nr = 3\n"
          + "pekko.discovery.config.services.insync.endpoints = "
          + nodes.stream().map(n -> "{ host = \"127.0.0.1\", port = " + n.managementPort() + " }")
              .collect(Collectors.joining(", ", "[", "]")) + "\n");
      // and no --seed. Three JVMs starting at once on a loaded 2-core machine took 90 s here: room for twice that
      for (NodeProcess n : nodes) n.withConfig(conf).withJvmArgs("-Dinsync.node.ready-timeout=" + START.toSeconds() + "s");
      // all three at once: none can form the cluster before the other two answer
      List<CompletableFuture<Void>> started = new ArrayList<>();
      for (NodeProcess n : nodes) started.add(CompletableFuture.runAsync(() -> start(n)));
      CompletableFuture.allOf(started.toArray(CompletableFuture[]::new)).get(START.toSeconds() + 30, TimeUnit.SECONDS);

      List<String> all = nodes.stream().map(NodeProcess::clusterAddress).sorted().toList();
      for (NodeProcess n : nodes) {
        // each node's ready line needs it Up; the others may still be Joining in its view for a moment
        ManagementIT.awaitTrue(Duration.ofSeconds(60), () -> ManagementIT.upMembers(n).stream().sorted().toList().equals(all),
            "node " + n.clusterAddress() + " sees exactly " + all + " Up (saw " + ManagementIT.upMembers(n) + ")");
      }
      assertEquals(1, nodes.stream().map(n -> leader(n)).distinct().count(), "one cluster, one leader");
      long selfJoined = nodes.stream().filter(n -> output(n).contains("Initiating new cluster, self-joining")).count();
      assertEquals(1, selfJoined, "exactly one node formed the cluster, the others joined it");
      long joined = nodes.stream().filter(n -> output(n).contains("to existing cluster")).count();
      assertEquals(2, joined, "the other two joined the cluster it formed");

      // a device on each node sends to a device on the next node
      List<TestDevice> devices = new ArrayList<>();
      try {
        List<TestDevice[]> pairs = new ArrayList<>();
        for (int i = 0; i < PAIRS; i++) {
          NodeProcess from = nodes.get(i % 3);
          NodeProcess to = nodes.get((i + 1) % 3);
          TestDevice s = new TestDevice("bs" + i + "-" + run, "phone", from.tcpPort()).connect();
          devices.add(s);
          TestDevice r = new TestDevice("br" + i + "-" + run, "phone", to.tcpPort()).connect();
          devices.add(r);
          pairs.add(new TestDevice[] {s, r});
        }
        for (int i = 0; i < PAIRS; i++) {
          TestDevice[] p = pairs.get(i);
          assertEquals(1, p[0].client.send("m" + i, p[1].user, Envelopes.text("hello " + i)).get(30, TimeUnit.SECONDS)
              .getSeq(), "the recipient's first item");
        }
        for (int i = 0; i < PAIRS; i++) {
          List<Item> got = pairs.get(i)[1].awaitItems(1, Duration.ofSeconds(30));
          assertEquals("hello " + i, got.get(0).getContent().getText());
        }
      } finally {
        for (TestDevice d : devices) d.close();
      }
      // the 2 x PAIRS users (and the warm-up user) are served on all three nodes: least-shard allocation
      // puts new shards on the region with the fewest, and all three regions were registered before ready
      for (NodeProcess n : nodes) {
        assertTrue(hostedEntities(n) > 0, "node " + n.clusterAddress() + " serves users of the cluster");
      }
    }
  }

  private static String leader(NodeProcess n) {
    ManagementIT.Answer m = ManagementIT.get(n, "/cluster/members");
    return String.valueOf(((Map<?, ?>) MiniJson.parse(m.body())).get("leader"));
  }

  private static long hostedEntities(NodeProcess n) {
    ManagementIT.Answer shards = ManagementIT.get(n, "/cluster/shards/User");
    List<?> regions = (List<?>) ((Map<?, ?>) MiniJson.parse(shards.body())).get("regions");
    return regions.stream().mapToLong(r -> ((Number) ((Map<?, ?>) r).get("numEntities")).longValue()).sum();
  }

  private static String output(NodeProcess n) {
    try {
      return n.output();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void start(NodeProcess n) {
    try {
      n.start(START);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
