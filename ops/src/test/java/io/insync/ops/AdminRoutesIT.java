package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.ops.ManagementIT.Answer;
import io.insync.ops.ManagementIT.Run;
import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * insync's own management routes ({@code /insync/...}) and the {@code bin/insync admin} commands over them, on two
 * real node processes sharing the test Cassandra: where a user lives with their inbox head and devices, the shard
 * distribution per node, the gateway connections per node (asked of every node from one URL), and a passivation,
 * refused without the token and done with it.
 */
@ExtendWith(CassandraExtension.class)
class AdminRoutesIT {
  private static final String TOKEN = "it-admin-token-" + UUID.randomUUID();

  static NodeProcess a;
  static NodeProcess b;

  @BeforeAll
  static void startNodes() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    a = new NodeProcess(cassandra, "admin-a").withJvmArgs("-Dinsync.management.token=" + TOKEN);
    a.withSeeds(a.clusterAddress()).start();
    b = new NodeProcess(cassandra, "admin-b").withJvmArgs("-Dinsync.management.token=" + TOKEN);
    b.withSeeds(a.clusterAddress()).start();
    ManagementIT.awaitTrue(Duration.ofSeconds(60),
        () -> ManagementIT.upMembers(a).containsAll(List.of(a.clusterAddress(), b.clusterAddress())),
        "both nodes Up in A's view");
  }

  @AfterAll
  static void stopNodes() throws Exception {
    if (b != null) b.close();
    if (a != null) a.close();
  }

  static Map<?, ?> json(Answer answer) {
    return (Map<?, ?>) MiniJson.parse(answer.body());
  }

  static Answer get(NodeProcess n, String path) {
    return ManagementIT.get(n, path);
  }

  static Answer post(NodeProcess n, String path, String authorization) {
    return ManagementIT.http("POST", n, path, authorization, null);
  }

  static Map<?, ?> device(Map<?, ?> user, String id) {
    for (Object o : (List<?>) user.get("devices")) {
      if (o instanceof Map<?, ?> d && id.equals(d.get("device"))) return d;
    }
    return null;
  }

  static Map<?, ?> nodeEntry(Map<?, ?> answer, String node) {
    for (Object o : (List<?>) answer.get("nodes")) {
      if (o instanceof Map<?, ?> n && node.equals(n.get("node"))) return n;
    }
    return null;
  }

  static long number(Object o) {
    return ((Number) o).longValue();
  }

  @Test
  void everyRouteAndCommandAnswersAndPassivateNeedsTheToken() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 8);
    String alice = "alice-" + run;
    String bob = "bob-" + run;
    try (TestDevice bobPhone = new TestDevice(bob, "phone", "ios", b.tcpPort()).connect();
         TestDevice alicePc = new TestDevice(alice, "pc", "desktop", a.tcpPort()).connect()) {
      alicePc.client.send("m1", bob, Envelopes.text("one")).get(30, TimeUnit.SECONDS);
      alicePc.client.send("m2", bob, Envelopes.text("two")).get(30, TimeUnit.SECONDS);
      bobPhone.awaitItems(2, Duration.ofSeconds(30));

      // ---- GET /insync/users/{id}: the same answer from either node, the entity's own placement
      ManagementIT.awaitTrue(Duration.ofSeconds(30), () -> {
        Answer u = get(a, "/insync/users/" + bob);
        if (u.status() != 200) return false;
        Map<?, ?> phone = device(json(u), "phone");
        // the client acks its key after each sync; the entity writes acks in the background
        return phone != null && number(phone.get("acked_key")) == number(json(u).get("inbox_head"));
      }, "bob's phone acked its sync key up to the inbox head");
      Answer fromA = get(a, "/insync/users/" + bob);
      assertEquals(200, fromA.status(), fromA.body());
      Map<?, ?> user = json(fromA);
      assertEquals(bob, user.get("user"));
      assertTrue(List.of(a.clusterAddress(), b.clusterAddress()).contains(user.get("node")), fromA.body());
      assertTrue(user.containsKey("set") && user.get("set") == null, "no SETs yet: " + fromA.body());
      assertEquals(2L, number(user.get("inbox_head")), fromA.body());
      Map<?, ?> phone = device(user, "phone");
      assertNotNull(phone, fromA.body());
      assertEquals("ios", phone.get("platform"));
      assertEquals(Boolean.TRUE, phone.get("online"), fromA.body());
      Map<?, ?> entity = (Map<?, ?>) user.get("entity");
      assertEquals("running", entity.get("status"));
      long startedAt = number(entity.get("started_at"));
      Map<?, ?> fromB = json(get(b, "/insync/users/" + bob));
      assertEquals(user.get("node"), fromB.get("node"), "both nodes agree where bob lives");
      assertEquals(user.get("shard"), fromB.get("shard"));

      Answer bad = get(a, "/insync/users/bad%20id");
      assertEquals(400, bad.status(), bad.body());
      assertTrue(bad.body().contains("invalid user id"), bad.body());
      assertEquals(400, get(a, "/insync/users/").status());

      // ---- GET /insync/shards: both nodes, both regions; bob and alice are live User entities
      ManagementIT.awaitTrue(Duration.ofSeconds(30), () -> {
        Answer s = get(a, "/insync/shards");
        return s.status() == 200 && nodeEntry(json(s), a.clusterAddress()) != null
            && nodeEntry(json(s), b.clusterAddress()) != null;
      }, "both nodes in /insync/shards");
      Map<?, ?> shards = json(get(a, "/insync/shards"));
      Map<?, ?> regions = (Map<?, ?>) nodeEntry(shards, b.clusterAddress()).get("regions");
      assertTrue(regions.containsKey("User") && regions.containsKey("Group"), shards.toString());
      Map<?, ?> totalUser = (Map<?, ?>) ((Map<?, ?>) shards.get("total")).get("User");
      assertTrue(number(totalUser.get("entities")) >= 2, shards.toString());
      Answer oneRegion = get(a, "/insync/shards?region=Group");
      assertEquals(200, oneRegion.status(), oneRegion.body());
      assertTrue(!oneRegion.body().contains("\"User\""), oneRegion.body());
      Answer unknown = get(a, "/insync/shards?region=Nope");
      assertEquals(400, unknown.status(), unknown.body());
      assertTrue(unknown.body().contains("unknown region 'Nope'"), unknown.body());

      // ---- GET /insync/connections: one URL shows every node's count
      ManagementIT.awaitTrue(Duration.ofSeconds(30), () -> {
        Answer c = get(a, "/insync/connections");
        if (c.status() != 200) return false;
        Map<?, ?> onA = nodeEntry(json(c), a.clusterAddress());
        Map<?, ?> onB = nodeEntry(json(c), b.clusterAddress());
        return onA != null && onB != null && number(onA.get("connections")) == 1 && number(onB.get("connections")) == 1;
      }, "each node counts its one device: " + get(a, "/insync/connections").body());
      assertEquals(2L, number(json(get(b, "/insync/connections")).get("total")));

      // ---- the CLI over the same routes
      Run userTable = ManagementIT.admin("user", bob, "--url", ManagementIT.url(b));
      assertEquals(0, userTable.exit(), userTable.err());
      assertTrue(userTable.out().contains("inbox head  2"), userTable.out());
      assertTrue(userTable.out().contains("node        " + user.get("node")), userTable.out());
      assertTrue(userTable.out().matches("(?s).*phone\\s+ios\\s+2\\s+yes.*"), userTable.out());
      Run userJson = ManagementIT.admin("user", bob, "--url", ManagementIT.url(a), "--json");
      assertEquals(0, userJson.exit(), userJson.err());
      assertEquals(bob, ((Map<?, ?>) MiniJson.parse(userJson.out())).get("user"));
      Run badUser = ManagementIT.admin("user", "bad id", "--url", ManagementIT.url(a));
      assertEquals(1, badUser.exit());
      assertTrue(badUser.err().contains("HTTP 400: invalid user id 'bad id'"), badUser.err());

      Run shardTable = ManagementIT.admin("shards", "--url", ManagementIT.url(a));
      assertEquals(0, shardTable.exit(), shardTable.err());
      assertTrue(shardTable.out().contains(a.clusterAddress()) && shardTable.out().contains(b.clusterAddress()),
          shardTable.out());
      assertTrue(shardTable.out().contains("total: User "), shardTable.out());
      Run shardJson = ManagementIT.admin("shards", "--url", ManagementIT.url(a), "--json", "--region", "User");
      assertEquals(0, shardJson.exit(), shardJson.err());
      assertTrue(((Map<?, ?>) MiniJson.parse(shardJson.out())).get("nodes") instanceof List<?>, shardJson.out());

      Run connTable = ManagementIT.admin("connections", "--url", ManagementIT.url(b));
      assertEquals(0, connTable.exit(), connTable.err());
      assertTrue(connTable.out().contains("total: 2"), connTable.out());
      Run connJson = ManagementIT.admin("connections", "--url", ManagementIT.url(b), "--json");
      assertEquals(0, connJson.exit(), connJson.err());
      assertEquals(2L, number(((Map<?, ?>) MiniJson.parse(connJson.out())).get("total")));

      // ---- POST /insync/users/{id}/passivate: refused without the token, done with it
      Answer noToken = post(a, "/insync/users/" + bob + "/passivate", null);
      assertEquals(401, noToken.status(), noToken.body());
      assertTrue(noToken.body().contains("missing Authorization header"), noToken.body());
      assertEquals(403, post(a, "/insync/users/" + bob + "/passivate", "Bearer wrong").status());
      Run cliNoToken = ManagementIT.admin("passivate", bob, "--url", ManagementIT.url(a));
      assertEquals(1, cliNoToken.exit(), cliNoToken.out());
      assertTrue(cliNoToken.err().contains("HTTP 401") && cliNoToken.err().contains("missing Authorization header"),
          cliNoToken.err());
      assertEquals(startedAt, number(((Map<?, ?>) json(get(a, "/insync/users/" + bob)).get("entity")).get("started_at")),
          "refused passivations did not stop bob's entity");

      Answer done = post(a, "/insync/users/" + bob + "/passivate", "Bearer " + TOKEN);
      assertEquals(202, done.status(), done.body());
      assertEquals(user.get("node"), json(done).get("node"), done.body());
      // the next question starts a new incarnation: from the journal, with the same inbox
      ManagementIT.awaitTrue(Duration.ofSeconds(30), () -> {
        Answer u = get(a, "/insync/users/" + bob);
        return u.status() == 200 && number(((Map<?, ?>) json(u).get("entity")).get("started_at")) > startedAt;
      }, "bob's entity started anew after its passivation");
      Map<?, ?> after = json(get(a, "/insync/users/" + bob));
      assertEquals(2L, number(after.get("inbox_head")), after.toString());
      assertEquals(2L, number(device(after, "phone").get("acked_key")), after.toString());
      // its connected device is found again (presence directories)
      ManagementIT.awaitTrue(Duration.ofSeconds(30),
          () -> Boolean.TRUE.equals(device(json(get(a, "/insync/users/" + bob)), "phone").get("online")),
          "bob's phone online again in the new incarnation");

      Run cliPassivate = ManagementIT.admin("passivate", bob, "--url", ManagementIT.url(b), "--token", TOKEN);
      assertEquals(0, cliPassivate.exit(), cliPassivate.err());
      assertTrue(cliPassivate.out().contains("user " + bob + " passivates on "), cliPassivate.out());
      Run cliPassivateJson = ManagementIT.admin("passivate", alice, "--url", ManagementIT.url(b), "--token", TOKEN,
          "--json");
      assertEquals(0, cliPassivateJson.exit(), cliPassivateJson.err());
      assertEquals(alice, ((Map<?, ?>) MiniJson.parse(cliPassivateJson.out())).get("user"));
    }
  }
}
