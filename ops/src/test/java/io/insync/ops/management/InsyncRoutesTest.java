package io.insync.ops.management;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.cluster.NodeConnections;
import io.insync.persistence.user.UserEntity;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** The /insync routes' answers and input checks, without a server. */
class InsyncRoutesTest {
  @Test
  void userIdsFollowTheGatewaysRule() {
    assertEquals(Optional.empty(), InsyncRoutes.userIdProblem("alice@example.com"));
    assertEquals("a user id is needed: /insync/users/{id}", InsyncRoutes.userIdProblem(" ").orElseThrow());
    assertTrue(InsyncRoutes.userIdProblem("a/b").orElseThrow().startsWith("invalid user id 'a/b': 1 to 64"));
    assertTrue(InsyncRoutes.userIdProblem("x".repeat(65)).isPresent(), "65 characters");
  }

  @Test
  void userAnswerHasPlacementInboxHeadDevicesAndEntity() {
    var i = new UserEntity.Inspection("alice", "pekko://insync@127.0.0.1:25520", 7, 1,
        List.of(new UserEntity.DeviceInfo("phone", "ios", 5, true, 17L),
            new UserEntity.DeviceInfo("pc", "", 7, false, 18L)), 1000L);
    assertEquals("{\"user\":\"alice\",\"node\":\"pekko://insync@127.0.0.1:25520\",\"shard\":\"42\",\"set\":null,"
        + "\"inbox_head\":7,\"devices\":["
        + "{\"device\":\"phone\",\"platform\":\"ios\",\"acked_key\":5,\"online\":true,\"registered_at\":17},"
        + "{\"device\":\"pc\",\"platform\":\"\",\"acked_key\":7,\"online\":false,\"registered_at\":18}],"
        + "\"entity\":{\"status\":\"running\",\"started_at\":1000,\"pending_deliveries\":1,\"online_devices\":1}}",
        InsyncRoutes.userJson(i, "42"));
    MiniJson.parse(InsyncRoutes.userJson(i, "42"));
  }

  @Test
  void shardsAnswerListsEveryNodeOfAnyRegionWithItsVersionAndTotals() {
    Map<String, Map<String, InsyncRoutes.RegionOnNode>> byRegion = new LinkedHashMap<>();
    byRegion.put("User", Map.of(
        "pekko://insync@127.0.0.1:25521", new InsyncRoutes.RegionOnNode(Map.of("3", 2), List.of("9")),
        "pekko://insync@127.0.0.1:25520", new InsyncRoutes.RegionOnNode(Map.of("1", 4, "2", 1), List.of())));
    byRegion.put("Group", Map.of(
        "pekko://insync@127.0.0.1:25520", new InsyncRoutes.RegionOnNode(Map.of("1", 1), List.of())));
    // 25520 runs the old build, 25522 the new one and hosts nothing yet; 25521 has left the membership
    Map<String, String> versions = Map.of("pekko://insync@127.0.0.1:25520", "1.0.0", "pekko://insync@127.0.0.1:25522", "1.0.1");
    assertEquals("{\"nodes\":["
        + "{\"node\":\"pekko://insync@127.0.0.1:25520\",\"version\":\"1.0.0\",\"regions\":{"
        + "\"User\":{\"shards\":2,\"entities\":5,\"failed\":[]},\"Group\":{\"shards\":1,\"entities\":1,\"failed\":[]}}},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25521\",\"version\":null,\"regions\":{"
        + "\"User\":{\"shards\":1,\"entities\":2,\"failed\":[\"9\"]},\"Group\":{\"shards\":0,\"entities\":0,\"failed\":[]}}},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25522\",\"version\":\"1.0.1\",\"regions\":{"
        + "\"User\":{\"shards\":0,\"entities\":0,\"failed\":[]},\"Group\":{\"shards\":0,\"entities\":0,\"failed\":[]}}}],"
        + "\"total\":{\"User\":{\"shards\":3,\"entities\":7},\"Group\":{\"shards\":1,\"entities\":1}}}",
        InsyncRoutes.shardsJson(byRegion, versions));
  }

  @Test
  void connectionsAnswerSortsNodesAndCountsOnlyThoseThatAnswered() {
    String json = InsyncRoutes.connectionsJson(List.of(
        new NodeConnections.NodeCount("pekko://insync@127.0.0.1:25521", OptionalInt.empty(), "no answer within 5000 ms"),
        new NodeConnections.NodeCount("pekko://insync@127.0.0.1:25520", OptionalInt.of(3), null)));
    assertEquals("{\"nodes\":[{\"node\":\"pekko://insync@127.0.0.1:25520\",\"connections\":3},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25521\",\"connections\":null,\"error\":\"no answer within 5000 ms\"}],"
        + "\"total\":3}", json);
  }

  @Test
  void accessAnswerListsTheGatewaysInTheirOrderAndTheDrainingNodes() {
    String json = InsyncRoutes.accessJson("alice", "dc1", List.of(
        new io.insync.gateway.AccessRouting.Gateway("pekko://insync@127.0.0.1:25521", "127.0.0.1:7420",
            "ws://127.0.0.1:7421/sync", "dc1", 2),
        new io.insync.gateway.AccessRouting.Gateway("pekko://insync@127.0.0.1:25522", "127.0.0.1:7430", "", "dc2", 0)),
        List.of("pekko://insync@127.0.0.1:25520"));
    assertEquals("{\"user\":\"alice\",\"idc\":\"dc1\",\"gateways\":["
        + "{\"node\":\"pekko://insync@127.0.0.1:25521\",\"tcp\":\"127.0.0.1:7420\",\"websocket\":\"ws://127.0.0.1:7421/sync\","
        + "\"idc\":\"dc1\",\"connections\":2},"
        + "{\"node\":\"pekko://insync@127.0.0.1:25522\",\"tcp\":\"127.0.0.1:7430\",\"websocket\":null,\"idc\":\"dc2\","
        + "\"connections\":0}],\"draining\":[\"pekko://insync@127.0.0.1:25520\"]}", json);
  }

  @Test
  void aDrainWindowIsMillisecondsSecondsOrMinutesUpToAnHour() {
    assertEquals(java.time.Duration.ofMillis(500), InsyncRoutes.spread("500ms"));
    assertEquals(java.time.Duration.ofSeconds(30), InsyncRoutes.spread(" 30s "));
    assertEquals(java.time.Duration.ofMinutes(60), InsyncRoutes.spread("60m"));
    assertEquals(java.time.Duration.ZERO, InsyncRoutes.spread("0s"));
    for (String bad : List.of("", "30", "-1s", "2h", "61m", "1.5s", "abc")) {
      IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> InsyncRoutes.spread(bad), bad);
      assertTrue(e.getMessage().contains("over"), e.getMessage());
    }
  }

  @Test
  void aRevocationAnswerSaysWhatItRefusesAndUntilWhen() {
    var forever = new io.insync.cluster.auth.Revocation(io.insync.cluster.auth.Revocation.Kind.BAN, "mallory", null, 10, 0,
        "ops", "spam");
    assertEquals("{\"kind\":\"ban\",\"user\":\"mallory\",\"device\":null,\"at\":10,\"until\":null,\"who\":\"ops\","
        + "\"reason\":\"spam\"}", InsyncRoutes.revocationJson(forever).toString());
    var timed = new io.insync.cluster.auth.Revocation(io.insync.cluster.auth.Revocation.Kind.BAN, "mallory", null, 10, 99,
        "ops", "");
    assertTrue(InsyncRoutes.revocationJson(timed).toString().contains("\"until\":99"));
    var device = new io.insync.cluster.auth.Revocation(io.insync.cluster.auth.Revocation.Kind.REVOKE, "alice", "phone", 20,
        20, "ops", "lost");
    assertEquals("{\"kind\":\"revoke\",\"user\":\"alice\",\"device\":\"phone\",\"at\":20,\"issued_before\":20,"
        + "\"who\":\"ops\",\"reason\":\"lost\"}", InsyncRoutes.revocationJson(device).toString());
  }
}
