package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.client.ClientOptions;
import io.insync.client.InMemorySyncKeyStore;
import io.insync.client.InsyncClient;
import io.insync.core.auth.TokenSigner;
import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Access routing and an operator's drain (issue 10, item 4) on three real node processes: every node's
 * {@code GET /insync/access} offers all three gateways; {@code POST /insync/nodes/C/drain} makes every node
 * leave C out and C send its clients a {@code Redirect} spread over the window; all of C's clients (a 1:1 load
 * that knew only C's address) move to A and B with every send acked, none lost or duplicated, and C keeps
 * no connection; a client with the SDK's access URL is sent elsewhere; the drain undone, C is offered again.
 */
@ExtendWith(CassandraExtension.class)
class AccessDrainIT {
  private static final String TOKEN = "access-drain-test-token-0123456789";
  private static final String AUTH = "Bearer " + TOKEN;
  private static final int PAIRS = 6;

  @Test
  void aDrainedNodesClientsMoveAwayWithNothingLostAndRoutingLeavesItOut() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<NodeProcess> nodes = new ArrayList<>();
    try {
      for (String n : List.of("access-a", "access-b", "access-c")) {
        nodes.add(new NodeProcess(cassandra, n).withJvmArgs("-Dinsync.management.token=" + TOKEN));
      }
      ManagementIT.startCluster(nodes);
      NodeProcess a = nodes.get(0);
      NodeProcess b = nodes.get(1);
      NodeProcess c = nodes.get(2);
      for (NodeProcess n : nodes) {
        await(Duration.ofSeconds(30), () -> offered(n).size() == 3, () -> "every gateway offered by " + n.clusterAddress()
            + ": " + ManagementIT.get(n, "/insync/access").body());
      }

      // refusals: an unknown node, a bad window, no token
      assertEquals(404, ManagementIT.http("POST", a, "/insync/nodes/127.0.0.1:1/drain", AUTH, "").status());
      ManagementIT.Answer bad = ManagementIT.http("POST", a, drainPath(c), AUTH, "over=soon");
      assertEquals(400, bad.status(), bad::body);
      assertTrue(bad.body().contains("over must be a duration"), bad::body);
      assertEquals(401, ManagementIT.http("POST", a, drainPath(c), null, "").status());

      // the load knows only C: everything it does goes through C's gateway until the drain
      try (PairLoad load = new PairLoad(run, PAIRS, c.tcpPort())) {
        load.connectAll();
        load.start(30);
        assertTrue(load.awaitAcked(60, Duration.ofSeconds(60)), "the load runs");
        assertEquals(2 * PAIRS, connections(a).get(c.clusterAddress()), "every load client is on C");

        ManagementIT.Answer drain = ManagementIT.http("POST", b, drainPath(c), AUTH, "over=3s");
        assertEquals(202, drain.status(), drain::body);
        long drainedAt = System.nanoTime();
        for (NodeProcess n : nodes) {
          await(Duration.ofSeconds(10), () -> offered(n).equals(List.of(a.clusterAddress(), b.clusterAddress()))
                  || List.of(b.clusterAddress(), a.clusterAddress()).equals(offered(n)),
              () -> n.clusterAddress() + " still offers C: " + ManagementIT.get(n, "/insync/access").body());
          String body = ManagementIT.get(n, "/insync/access").body();
          assertTrue(body.contains("\"draining\":[\"" + c.clusterAddress() + "\"]"), body);
        }
        // all of C's clients connected again, to A or B
        await(Duration.ofSeconds(60), () -> {
          Map<String, Integer> now = connections(a);
          return now.getOrDefault(c.clusterAddress(), -1) == 0
              && now.getOrDefault(a.clusterAddress(), 0) + now.getOrDefault(b.clusterAddress(), 0) == 2 * PAIRS;
        }, () -> "C's clients moved to A and B: " + connections(a));
        long movedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainedAt);
        int acked = load.ackedCount();
        assertTrue(load.awaitAcked(acked + 60, Duration.ofSeconds(60)), "the load goes on after the drain");

        // a client asking the access endpoint is sent to A or B even though its own list names only C
        String user = "access-" + run;
        try (InsyncClient viaAccess = InsyncClient.create(ClientOptions.builder().address("127.0.0.1", c.tcpPort())
            .accessUrl(URI.create(ManagementIT.url(a) + "/insync/access?user=" + user))
            .token(TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(user, "phone", Instant.now().plusSeconds(3600)))
            .syncKeyStore(new InMemorySyncKeyStore()).build())) {
          viaAccess.connect().get(30, TimeUnit.SECONDS);
          await(Duration.ofSeconds(10), () -> {
            Map<String, Integer> now = connections(a);
            return now.getOrDefault(a.clusterAddress(), 0) + now.getOrDefault(b.clusterAddress(), 0) == 2 * PAIRS + 1;
          }, () -> "the new client on A or B: " + connections(a));
          assertEquals(0, connections(a).get(c.clusterAddress()), "and not on C");
        }

        load.stop();
        load.awaitAllAcked(Duration.ofSeconds(120));
        load.verifyInboxes(id -> false, a.tcpPort(), b.tcpPort());
        System.out.printf("access drain: %d clients moved off C in %d ms (window 3 s); %d sends, all acked, none lost "
            + "or duplicated, %d reconnects%n", 2 * PAIRS, movedMs, load.sentCount(), load.disconnects());
      }

      ManagementIT.Answer undo = ManagementIT.http("DELETE", a, drainPath(c), AUTH, null);
      assertEquals(200, undo.status(), undo::body);
      for (NodeProcess n : nodes) {
        await(Duration.ofSeconds(10), () -> offered(n).size() == 3, () -> "C offered again by " + n.clusterAddress());
      }
    } finally {
      for (NodeProcess n : nodes) n.close();
    }
  }

  private static String drainPath(NodeProcess n) {
    return "/insync/nodes/" + java.net.URLEncoder.encode(n.clusterAddress(), java.nio.charset.StandardCharsets.UTF_8)
        + "/drain";
  }

  /** The nodes {@code n}'s access endpoint offers, in its order (empty if it does not answer 200). */
  @SuppressWarnings("unchecked")
  private static List<String> offered(NodeProcess n) {
    ManagementIT.Answer r = ManagementIT.get(n, "/insync/access");
    if (r.status() != 200) return List.of();
    List<Object> gateways = (List<Object>) ((Map<String, Object>) MiniJson.parse(r.body())).get("gateways");
    return gateways.stream().map(g -> (String) ((Map<String, Object>) g).get("node")).toList();
  }

  /** Open connections per node, from {@code GET /insync/connections} on {@code n}. */
  @SuppressWarnings("unchecked")
  private static Map<String, Integer> connections(NodeProcess n) {
    ManagementIT.Answer r = ManagementIT.get(n, "/insync/connections");
    Map<String, Integer> out = new java.util.TreeMap<>();
    if (r.status() != 200) return out;
    for (Object o : (List<Object>) ((Map<String, Object>) MiniJson.parse(r.body())).get("nodes")) {
      Map<String, Object> m = (Map<String, Object>) o;
      if (m.get("connections") instanceof Number c) out.put((String) m.get("node"), c.intValue());
    }
    return out;
  }

  private static void await(Duration timeout, BooleanSupplier condition, java.util.function.Supplier<String> what)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("not within " + timeout + ": " + what.get());
      Thread.sleep(200);
    }
  }
}
