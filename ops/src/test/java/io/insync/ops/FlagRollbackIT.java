package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.persistence.cassandra.CassandraExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Automatic rollback on two real nodes and real Cassandra: the flagged behaviour is deliberately faulty here
 * ({@code insync.gateway.flagged.sync-page.test-fault = on}: every Sync of the flag's audience gets an Error); the
 * flag goes from 1% to 10% with three users allowed and {@code --guard flag-errors}; under steady syncs of users in
 * and out of the audience the segment rule fires for {@code sync-page:on}, the flag goes back to 1% by itself —
 * once, though the allowed users keep failing and the rule keeps firing — audited as {@code
 * auto-rollback:flag-errors}, and the webhook (a local listener) gets one {@code rollback} notification.
 */
@ExtendWith(CassandraExtension.class)
class FlagRollbackIT {
  static final String TOKEN = "rollback-it-token-" + UUID.randomUUID();
  static final String FLAG = "sync-page";
  static final String RULE = "flag-errors";

  static WebhookListener webhook;
  static final List<NodeProcess> nodes = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    webhook = new WebhookListener();
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    for (int i = 0; i < 2; i++) {
      nodes.add(new NodeProcess(cassandra, "rollback-" + (char) ('a' + i)).withJvmArgs(
          "-Dinsync.management.token=" + TOKEN,
          "-Dinsync.alerts.webhook.url=" + webhook.url(),
          "-Dinsync.gateway.flagged.sync-page.test-fault=on",
          "-Dinsync.alerts.rules." + RULE + ".enabled=on",
          "-Dinsync.alerts.rules." + RULE + ".window=20s",
          "-Dinsync.alerts.rules." + RULE + ".min-count=10"));
    }
    ManagementIT.startCluster(nodes);
  }

  @AfterAll
  static void stop() throws Exception {
    for (NodeProcess n : nodes) n.close();
    if (webhook != null) webhook.close();
  }

  static List<Map<String, Object>> rollbacks() {
    return webhook.received().stream().map(WebhookListener.Hook::body)
        .filter(h -> "rollback".equals(h.get("status"))).toList();
  }

  @Test
  void theGuardingRuleRollsTheFlagBackOnceAuditedAndNotified() throws Exception {
    String run = UUID.randomUUID().toString().substring(0, 6);
    List<String> allowed = List.of("rb-" + run + "-a0", "rb-" + run + "-a1", "rb-" + run + "-a2");
    String[] base = {"--url", FlagsIT.url(nodes.get(0)), "--token", TOKEN, "--who", "it-operator"};
    ManagementIT.Run one = ManagementIT.admin(FlagsIT.concat(new String[] {"flag", "set", FLAG, "--percent", "1"}, base));
    assertEquals(0, one.exit(), one.err());

    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> syncers = new ArrayList<>();
    List<TestDevice> devices = new ArrayList<>();
    List<String> users = new ArrayList<>(allowed);
    for (int i = 0; i < 9; i++) users.add("rb-" + run + "-u" + i);
    try {
      for (int i = 0; i < users.size(); i++) {
        TestDevice d = new TestDevice(users.get(i), "phone", nodes.get(i % 2).tcpPort()).connect();
        devices.add(d);
        Thread t = new Thread(() -> {
          while (!stop.get()) {
            try {
              d.client.sync(0, 0).get(5, TimeUnit.SECONDS);
            } catch (Exception expected) {
              // the flagged users' syncs fail: that is the fault under test
            }
            try {
              Thread.sleep(100);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "rollback-syncer-" + i);
        t.setDaemon(true);
        t.start();
        syncers.add(t);
      }

      long raisedAt = System.nanoTime();
      ManagementIT.Run ten = ManagementIT.admin(FlagsIT.concat(new String[] {"flag", "set", FLAG, "--percent", "10",
          "--allow", String.join(",", allowed), "--guard", RULE}, base));
      assertEquals(0, ten.exit(), ten.err());

      ManagementIT.awaitTrue(Duration.ofSeconds(120), () -> !rollbacks().isEmpty(), "the rollback notification");
      long tookMs = (System.nanoTime() - raisedAt) / 1_000_000;
      Map<String, Object> note = rollbacks().get(0);
      System.out.println("FLAG ROLLBACK: step to 10% until the rollback webhook " + tookMs + " ms; " + note);
      assertEquals(RULE, note.get("rule"));
      assertTrue(String.valueOf(note.get("summary")).contains("flag " + FLAG + " rolled back from 10% to 1%"), note.toString());

      for (NodeProcess n : nodes) {
        ManagementIT.awaitTrue(Duration.ofSeconds(10), () -> "1%".equals(FlagsIT.flagOnNamed(n, FLAG).get("step")),
            "the flag at 1% again on " + n.clusterAddress());
      }
      Map<String, Object> flag = FlagsIT.flagOnNamed(nodes.get(1), FLAG);
      @SuppressWarnings("unchecked")
      List<Map<String, Object>> audit = (List<Map<String, Object>>) flag.get("audit");
      Map<String, Object> newest = audit.get(0);
      assertEquals("auto-rollback:" + RULE, newest.get("who"), audit.toString());
      assertTrue(String.valueOf(newest.get("from")).startsWith("10% ") && String.valueOf(newest.get("to")).startsWith("1% "),
          newest.toString());
      assertEquals(allowed, flag.get("allow"), "the lists are kept; only the step goes back");

      // the allowed users keep failing and the rule keeps firing: still one rollback, still at 1%, some ticks later
      long ticks = ticksSeen(nodes.get(0));
      ManagementIT.awaitTrue(Duration.ofSeconds(60), () -> ticksSeen(nodes.get(0)) >= ticks + 3,
          "three more metrics ticks after the rollback");
      assertEquals(1, rollbacks().size(), "done once: " + rollbacks());
      assertEquals("1%", FlagsIT.flagOnNamed(nodes.get(0), FLAG).get("step"));
      assertTrue(nodes.get(0).output().contains("rolling back from 10% to 1%")
          || nodes.get(1).output().contains("rolling back from 10% to 1%"), "the guardian logged it");
    } finally {
      stop.set(true);
      for (Thread t : syncers) t.join(10_000);
      for (TestDevice d : devices) d.close();
    }
  }

  /** A counter that moves on every metrics tick while syncs run: the scraped total of the flag's requests. */
  static long ticksSeen(NodeProcess n) {
    try {
      Map<String, Double> samples = MetricsIT.parse(AlertsIT.scrape(n));
      double sum = 0;
      for (Map.Entry<String, Double> e : samples.entrySet()) {
        if (e.getKey().startsWith("insync_flag_requests_total")) sum += e.getValue();
      }
      return distinct(n, (long) sum);
    } catch (Exception e) {
      return 0;
    }
  }

  private static final Map<NodeProcess, long[]> lastTotals = new java.util.concurrent.ConcurrentHashMap<>();

  /** How many different totals were seen so far on {@code n} (each tick gives a new one). */
  private static synchronized long distinct(NodeProcess n, long total) {
    long[] s = lastTotals.computeIfAbsent(n, k -> new long[] {-1, 0});
    if (total != s[0]) {
      s[0] = total;
      s[1]++;
    }
    return s[1];
  }
}
