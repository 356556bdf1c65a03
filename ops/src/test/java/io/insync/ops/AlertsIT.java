package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.insync.core.codec.Envelopes;
import io.insync.ops.management.MiniJson;
import io.insync.persistence.cassandra.CassandraExtension;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A real rule from real traffic on a 3-node cluster: while every node's journal writes fail (the test journal,
 * {@link FaultyCassandraJournal}) under steady sends through all three nodes, the journal-failures rule
 * fires on each node, and the webhook — a local HTTP listener — gets exactly one firing within 60 s (not
 * one per node); when the writes work again it gets exactly one resolve.
 */
@ExtendWith(CassandraExtension.class)
class AlertsIT {
  static final String RULE = "journal-failures";

  record Hook(long atNanos, Map<String, Object> body) {}

  static final List<Hook> received = new CopyOnWriteArrayList<>();
  static HttpServer webhook;
  static Path failing;
  static final List<NodeProcess> nodes = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    webhook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    webhook.createContext("/hook", ex -> {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      @SuppressWarnings("unchecked")
      Map<String, Object> json = (Map<String, Object>) MiniJson.parse(body);
      received.add(new Hook(System.nanoTime(), json));
      ex.sendResponseHeaders(204, -1);
      ex.close();
    });
    webhook.start();
    failing = Path.of("target", "it-nodes", "alerts-failing-" + UUID.randomUUID()).toAbsolutePath();
    Files.createDirectories(failing.getParent());
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String hook = "http://127.0.0.1:" + webhook.getAddress().getPort() + "/hook";
    for (int i = 0; i < 3; i++) {
      NodeProcess n = new NodeProcess(cassandra, "alerts-" + (char) ('a' + i)).withJvmArgs(
          "-Dpekko.persistence.cassandra.journal.class=io.insync.ops.FaultyCassandraJournal",
          "-Dinsync.test.failing-writes=" + failing,
          "-Dinsync.alerts.webhook.url=" + hook,
          // resolves 20 s after the last failure instead of a minute: the test waits for it
          "-Dinsync.alerts.rules." + RULE + ".window=20s");
      nodes.add(n);
    }
    NodeProcess seed = nodes.get(0);
    for (NodeProcess n : nodes) n.withSeeds(seed.clusterAddress()).start();
    List<String> all = nodes.stream().map(NodeProcess::clusterAddress).toList();
    for (NodeProcess n : nodes) {
      ManagementIT.awaitTrue(Duration.ofSeconds(90), () -> ManagementIT.upMembers(n).containsAll(all),
          "all three nodes Up in " + n.clusterAddress() + "'s view");
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (NodeProcess n : nodes) n.close();
    if (webhook != null) webhook.stop(0);
    if (failing != null) Files.deleteIfExists(failing);
  }

  @Test
  void journalFailuresFireOnceForTheClusterWithinAMinuteAndResolveOnce() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    List<Thread> senders = new ArrayList<>();
    List<TestDevice> devices = new ArrayList<>();
    String run = UUID.randomUUID().toString().substring(0, 6);
    try {
      for (int i = 0; i < nodes.size(); i++) {
        TestDevice d = new TestDevice("al-" + run + "-s" + i, "phone", nodes.get(i).tcpPort()).connect();
        devices.add(d);
        int node = i;
        Thread t = new Thread(() -> {
          long k = 0;
          while (!stop.get()) {
            try {
              // many recipients, so entities on every node write (and fail)
              d.client.send("m" + node + "-" + k, "al-" + run + "-r" + (k % 24), Envelopes.text("hi " + k))
                  .get(3, TimeUnit.SECONDS);
            } catch (Exception expected) {
              // refused or timed out while the journal fails: the load goes on
            }
            k++;
            try {
              Thread.sleep(50);
            } catch (InterruptedException e) {
              return;
            }
          }
        }, "alerts-sender-" + i);
        t.setDaemon(true);
        t.start();
        senders.add(t);
      }
      // healthy traffic first: nothing fires
      ManagementIT.awaitTrue(Duration.ofSeconds(60), () -> sendsOk(nodes.get(0)) > 10, "sends succeed before the fault");
      assertTrue(notifications(RULE).isEmpty(), "nothing fired while healthy: " + received);

      long faultAt = System.nanoTime();
      Files.writeString(failing, "*\n");
      ManagementIT.awaitTrue(Duration.ofSeconds(60), () -> !notifications(RULE).isEmpty(), "the " + RULE + " webhook");
      Hook first = notifications(RULE).get(0);
      long tookMs = (first.atNanos() - faultAt) / 1_000_000;
      assertEquals("firing", first.body().get("status"), first.body().toString());
      assertTrue(tookMs < 60_000, "fault to webhook " + tookMs + " ms");
      System.out.println("AlertsIT: fault to webhook " + tookMs + " ms; notification " + first.body());

      // every node sees failures for a while longer: still one notification
      ManagementIT.awaitTrue(Duration.ofSeconds(60), () -> firingNodes() >= 2, "at least two nodes report the rule firing");
      assertEquals(1, notifications(RULE).size(), "one firing for the cluster, not one per node: " + notifications(RULE));

      Files.delete(failing);
      ManagementIT.awaitTrue(Duration.ofSeconds(90), () -> notifications(RULE).size() >= 2, "the resolve notification");
      Hook resolved = notifications(RULE).get(1);
      assertEquals("resolved", resolved.body().get("status"), resolved.body().toString());
      // a few more ticks: nothing else for this rule
      long seenAfter = sendsOk(nodes.get(1));
      ManagementIT.awaitTrue(Duration.ofSeconds(60), () -> sendsOk(nodes.get(1)) > seenAfter + 20, "sends succeed again");
      assertEquals(2, notifications(RULE).size(), "one firing, one resolved: " + notifications(RULE));
    } finally {
      stop.set(true);
      for (Thread t : senders) t.join(10_000);
      for (TestDevice d : devices) d.close();
    }
  }

  static List<Hook> notifications(String rule) {
    return received.stream().filter(h -> rule.equals(h.body().get("rule"))).toList();
  }

  /** How many nodes' own evaluation has the rule firing now (their Prometheus endpoint is not involved). */
  static int firingNodes() {
    int n = 0;
    for (NodeProcess p : nodes) {
      try {
        if (p.output().contains("\"" + RULE + "\" firing on this node")) n++;
      } catch (Exception e) {
        // the log is being written
      }
    }
    return n;
  }

  static long sendsOk(NodeProcess n) {
    try {
      return (long) MetricsIT.value(MetricsIT.parse(scrape(n)), "insync_sends_total{result=\"ok\"}");
    } catch (Exception e) {
      return 0;
    }
  }

  static String scrape(NodeProcess n) throws Exception {
    var http = java.net.http.HttpClient.newHttpClient();
    var r = http.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + n.metricsPort() + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    return r.body();
  }
}
