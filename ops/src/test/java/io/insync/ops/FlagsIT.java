package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Feature flags on three real node processes: a change made through one node's management HTTP (by {@code bin/insync
 * admin flag set}) reaches every node's local copy — what the hot path reads — within a second (measured, printed,
 * asserted under a bound generous for a loaded 2-core box); the flagged behaviour (smaller sync pages) reaches a user
 * in the audience and not one outside it, whichever node they use; every change is audited and listed; writes need
 * the token; a guard must be a known segment rule.
 */
@ExtendWith(CassandraExtension.class)
class FlagsIT {
  static final String TOKEN = "flags-it-token-" + UUID.randomUUID();
  static final String FLAG = "sync-page";
  static final List<NodeProcess> nodes = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    for (int i = 0; i < 3; i++) {
      nodes.add(new NodeProcess(cassandra, "flags-" + (char) ('a' + i)).withJvmArgs(
          "-Dinsync.management.token=" + TOKEN,
          // pages of 2 for the flagged users, so a handful of messages shows the difference
          "-Dinsync.gateway.flagged.sync-page.max-items=2",
          "-Dinsync.alerts.rules.flag-errors.enabled=on"));
    }
    ManagementIT.startCluster(nodes);
  }

  @AfterAll
  static void stop() throws Exception {
    for (NodeProcess n : nodes) n.close();
  }

  static String url(NodeProcess n) {
    return "http://127.0.0.1:" + n.managementPort();
  }

  /** The flag as node {@code n}'s own copy has it (null while it has none). */
  static Map<String, Object> flagOn(NodeProcess n) {
    return flagOnNamed(n, FLAG);
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> flagOnNamed(NodeProcess n, String name) {
    ManagementIT.Answer a = ManagementIT.get(n, "/insync/flags/" + name);
    return a.status() == 200 ? (Map<String, Object>) MiniJson.parse(a.body()) : null;
  }

  /**
   * Runs {@code set} (a flag change through node 0) and returns the milliseconds from just before it until the
   * last node's copy shows {@code step}; every node is polled on its own thread.
   */
  static long propagation(String step, String... set) throws Exception {
    long t0 = System.nanoTime();
    List<CompletableFuture<Long>> seen = new ArrayList<>();
    for (NodeProcess n : nodes) {
      seen.add(CompletableFuture.supplyAsync(() -> {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
          Map<String, Object> f = flagOn(n);
          if (f != null && step.equals(f.get("step"))) return (System.nanoTime() - t0) / 1_000_000;
          try {
            Thread.sleep(5);
          } catch (InterruptedException e) {
            break;
          }
        }
        throw new AssertionError(n.clusterAddress() + " never showed " + FLAG + " at " + step);
      }));
    }
    ManagementIT.Run run = ManagementIT.admin(set);
    assertEquals(0, run.exit(), run.err());
    long max = 0;
    for (CompletableFuture<Long> f : seen) max = Math.max(max, f.get(40, TimeUnit.SECONDS));
    return max;
  }

  @Test
  void aChangeReachesEveryNodeWithinASecondAndTheFlaggedUsersGetTheBehaviour() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    String in = "fl-" + run + "-in";
    String out = "fl-" + run + "-out";
    String[] base = {"--url", url(nodes.get(0)), "--token", TOKEN, "--who", "it-operator"};

    // writes need the token; a guard must be a segment rule this node evaluates
    ManagementIT.Run refused = ManagementIT.admin("flag", "set", FLAG, "--percent", "1", "--url", url(nodes.get(0)),
        "--token", "wrong");
    assertEquals(1, refused.exit());
    assertTrue(refused.err().contains("HTTP 403"), refused.err());
    ManagementIT.Run badGuard = ManagementIT.admin(concat(new String[] {"flag", "set", FLAG, "--percent", "1",
        "--guard", "error-rate"}, base));
    assertEquals(1, badGuard.exit());
    assertTrue(badGuard.err().contains("HTTP 400") && badGuard.err().contains("flag-errors"), badGuard.err());
    assertEquals(404, ManagementIT.get(nodes.get(1), "/insync/flags/" + FLAG).status(), "nobody set it yet");

    // steps, each measured from the command to the last node's copy
    List<Long> figures = new ArrayList<>();
    figures.add(propagation("1%", concat(new String[] {"flag", "set", FLAG, "--percent", "1"}, base)));
    figures.add(propagation("10%", concat(new String[] {"flag", "set", FLAG, "--percent", "10", "--allow", in,
        "--deny", out, "--guard", "flag-errors"}, base)));
    figures.add(propagation("50%", concat(new String[] {"flag", "set", FLAG, "--percent", "50"}, base)));
    long worst = figures.stream().mapToLong(Long::longValue).max().orElseThrow();
    System.out.println("FLAGS propagation to all 3 nodes (command start to the last node's local copy), ms: " + figures
        + ", worst " + worst);
    // the target is a second; the bound allows for a loaded 2-core box running the CI beside this test
    assertTrue(worst < 5_000, "a flag change reached every node in " + worst + " ms");

    // the behaviour: pages of 2 for the user in the audience, the server's page for the one outside it
    TestDevice sender = new TestDevice("fl-" + run + "-s", "phone", nodes.get(0).tcpPort()).connect();
    TestDevice inside = new TestDevice(in, "phone", nodes.get(1).tcpPort()).connect();
    TestDevice outside = new TestDevice(out, "phone", nodes.get(2).tcpPort()).connect();
    try {
      for (int i = 0; i < 5; i++) {
        sender.client.send("m-in-" + i, in, Envelopes.text("hi " + i)).get(30, TimeUnit.SECONDS);
        sender.client.send("m-out-" + i, out, Envelopes.text("hi " + i)).get(30, TimeUnit.SECONDS);
      }
      SyncResult flagged = inside.client.sync(0, 0).get(30, TimeUnit.SECONDS);
      SyncResult plain = outside.client.sync(0, 0).get(30, TimeUnit.SECONDS);
      assertEquals(2, flagged.getItemsCount(), "a page of 2 for the flagged user: " + flagged);
      assertTrue(flagged.getHasMore(), "and more to come");
      assertEquals(5, plain.getItemsCount(), "the server's page for the user outside the audience: " + plain);
      assertFalse(plain.getHasMore());
    } finally {
      sender.close();
      inside.close();
      outside.close();
    }

    // the audit trail: every change, who made it, from what to what, newest first; the same on every node
    ManagementIT.Run list = ManagementIT.admin("flag", "list", "--url", url(nodes.get(2)));
    assertEquals(0, list.exit(), list.err());
    assertTrue(list.out().contains(FLAG) && list.out().contains("50%") && list.out().contains("it-operator")
        && list.out().contains("flag-errors"), list.out());
    System.out.println("FLAGS admin flag list:\n" + list.out());
    ManagementIT.Run json = ManagementIT.admin("flag", "list", "--json", "--url", url(nodes.get(1)));
    assertEquals(0, json.exit(), json.err());
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> flags = (List<Map<String, Object>>) ((Map<String, Object>) MiniJson.parse(json.out().trim()))
        .get("flags");
    Map<String, Object> flag = flags.stream().filter(f -> FLAG.equals(f.get("name"))).findFirst().orElseThrow();
    assertEquals(List.of(in), flag.get("allow"));
    assertEquals(List.of(out), flag.get("deny"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> audit = (List<Map<String, Object>>) flag.get("audit");
    assertEquals(3, audit.size(), audit.toString());
    assertEquals(List.of("50%", "10%", "1%"), audit.stream().map(c -> String.valueOf(c.get("to")).split(" ")[0]).toList());
    assertEquals(List.of("10%", "1%", "0%"), audit.stream().map(c -> String.valueOf(c.get("from")).split(" ")[0]).toList());
    assertTrue(audit.stream().allMatch(c -> "it-operator".equals(c.get("who")) && c.get("at") instanceof Number), audit.toString());
  }

  static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
