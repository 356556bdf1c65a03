package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Item;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Three node processes under steady 1:1 load from the SDK (each device holds all three addresses);
 * one node is SIGKILLed mid-load. With the shipped failover settings (cluster.conf) the others down
 * it, its shards start on them, its devices reconnect elsewhere and retry under the same
 * client_msg_id: every acked message is in its recipient's inbox exactly once, in order, gapless;
 * every user is served again, and the time until then is printed ({@code FAILOVER
 * served-again-after=...ms}). And deliveries pending in a user's entity on the killed node resume on
 * its new node by themselves, with the sender offline for good.
 */
@ExtendWith(CassandraExtension.class)
class FailoverIT {
  private static final int PAIRS = 20;
  private static final int RATE = 100;

  @Test
  void sigkillOfOneOfThreeNodesLosesNothingAndEveryUserIsServedAgain() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    // -Dfailover.jvm-args=-Dkey=value,... tries a lever on the nodes (for measurements; the test runs the shipped settings)
    String[] extra = System.getProperty("failover.jvm-args", "").isBlank() ? new String[0]
        : System.getProperty("failover.jvm-args").split(",");
    try (NodeProcess a = new NodeProcess(cassandra, "failover-a").withJvmArgs(extra);
        NodeProcess b = new NodeProcess(cassandra, "failover-b").withJvmArgs(extra);
        NodeProcess c = new NodeProcess(cassandra, "failover-c").withJvmArgs(extra)) {
      a.withSeeds(a.clusterAddress()).start();
      b.withSeeds(a.clusterAddress());
      c.withSeeds(a.clusterAddress());
      CompletableFuture<Void> bUp = CompletableFuture.runAsync(() -> start(b));
      start(c);
      bUp.join();

      try (PairLoad load = new PairLoad(run, PAIRS, a.tcpPort(), b.tcpPort(), c.tcpPort())) {
        load.connectAll();
        load.start(RATE);
        assertTrue(load.awaitAcked(300, Duration.ofSeconds(60)), "load flowing before the kill: " + load.ackedCount());
        int disconnectsBefore = load.disconnects();
        long killedAt = System.nanoTime();
        java.time.LocalTime killedWall = java.time.LocalTime.now();
        b.kill(); // not the oldest: the shard coordinator stays where it is
        // keep the load going: every user must be served again (the SDK reconnects and retries by itself)
        long deadline = killedAt + Duration.ofSeconds(60).toNanos();
        OptionalLong served = OptionalLong.empty();
        while (System.nanoTime() < deadline && (served = load.servedAgainAfter(killedAt)).isEmpty()) Thread.sleep(100);
        // some more load after everyone is back, then stop and let every send finish
        Thread.sleep(3000);
        load.stop();
        int ackedAtStop = load.ackedCount();
        // printed before waiting for the rest, so a run that fails there still shows how it went
        System.out.println("FAILOVER served-again-after=" + (served.isPresent() ? served.getAsLong() : -1) + "ms"
            + " killed=node-b-of-3 users=" + (2 * PAIRS) + " sent=" + load.sentCount() + " acked-at-stop=" + ackedAtStop
            + " reconnects=" + (load.disconnects() - disconnectsBefore));
        System.out.println("FAILOVER slowest users: " + load.slowest(killedAt, 6));
        System.out.println("FAILOVER cluster steps after the kill (survivors' logs): "
            + clusterSteps(a.output() + "\n" + c.output(), b.clusterAddress(), killedWall));
        load.awaitAllAcked(Duration.ofSeconds(150));
        System.out.println("FAILOVER duplicates-before-sdk-dedup=" + load.duplicatesDropped());
        assertTrue(served.isPresent(), "every user served again within 60 s of the kill");
        assertTrue(load.disconnects() > disconnectsBefore, "devices of the killed node reconnected elsewhere");
        load.verifyInboxes(id -> false, a.tcpPort(), c.tcpPort());
      }
    }
  }

  @Test
  void pendingDeliveriesOfAUserOnTheKilledNodeResumeOnItsNewNodeByThemselves() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String sender = "ks-" + run;
    String recipient = "kr-" + run;
    Path faults = Path.of("target", "it-nodes", "failing-writes-" + run + ".txt").toAbsolutePath();
    Files.createDirectories(faults.getParent());
    Files.writeString(faults, "User|" + recipient + "\n");
    String[] args = {
        "-Dpekko.persistence.cassandra.journal.class=io.insync.ops.FaultyCassandraJournal",
        "-Dinsync.test.failing-writes=" + faults,
        "-Dinsync.user.delivery-timeout=2s",
        "-Dinsync.user.retry-max=2s",
        "-Dinsync.user.restart-max=2s"};
    try (NodeProcess a = new NodeProcess(cassandra, "keep-a").withJvmArgs(args);
        NodeProcess b = new NodeProcess(cassandra, "keep-b").withJvmArgs(args);
        NodeProcess c = new NodeProcess(cassandra, "keep-c").withJvmArgs(args)) {
      a.withSeeds(a.clusterAddress()).start();
      b.withSeeds(a.clusterAddress());
      c.withSeeds(a.clusterAddress());
      CompletableFuture<Void> bUp = CompletableFuture.runAsync(() -> start(b));
      start(c);
      bUp.join();
      List<NodeProcess> nodes = List.of(a, b, c);
      int n = 5;
      NodeProcess host;
      try (TestDevice phone = Inboxes.connect(sender, "phone", a.tcpPort(), b.tcpPort(), c.tcpPort());
          TestDevice laptop = Inboxes.connect(sender, "laptop", a.tcpPort(), b.tcpPort(), c.tcpPort())) {
        for (int i = 0; i < n; i++) phone.client.send("m" + i, recipient, Envelopes.text("m" + i));
        laptop.awaitItems(n, Duration.ofSeconds(60)); // durable in the sender's own inbox, undelivered
        host = awaitSenderHost(nodes, "delivery from " + sender + " to " + recipient + " failed", Duration.ofSeconds(60));
        // the keeper is remembered (its shard stores it before starting it): from here a node loss
        // cannot forget the pending deliveries (before it, a kill leaves them to the sender's next start)
        awaitSenderHost(nodes, "keeping deliveries of user " + sender + " going", Duration.ofSeconds(60));
      } // the sender goes offline for good
      host.kill();
      Files.writeString(faults, ""); // the recipient's journal works again
      NodeProcess survivor = nodes.stream().filter(x -> x != host).findFirst().orElseThrow();
      try (TestDevice reader = Inboxes.connect(recipient, "phone", survivor.tcpPort())) {
        reader.awaitItems(n, Duration.ofSeconds(90));
        List<Item> inbox = Inboxes.readAll(reader, null);
        assertEquals(IntStream.range(0, n).mapToObj(i -> "m" + i).toList(),
            inbox.stream().map(Item::getClientMsgId).toList(), "once, in order");
        assertEquals(IntStream.rangeClosed(1, n).mapToObj(i -> (long) i).toList(),
            inbox.stream().map(Item::getSeq).toList());
      }
      System.out.println("FAILOVER pending deliveries resumed after SIGKILL of the sender's node ("
          + (host == a ? "the oldest, " : "") + "node " + "abc".charAt(nodes.indexOf(host)) + ")");
    }
  }

  /** The node whose log shows the sender's entity retrying its deliveries. */
  private static NodeProcess awaitSenderHost(List<NodeProcess> nodes, String line, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      for (NodeProcess x : nodes) if (x.output().contains(line)) return x;
      Thread.sleep(200);
    }
    throw new AssertionError("no node logged '" + line + "'");
  }

  /**
   * When the first of the survivors saw the killed node unreachable, downed and removed, in ms after the kill, from the
   * time stamps of its log lines (HH:mm:ss.SSS, the same clock): what the cluster took, as against
   * what insync took after it.
   */
  static String clusterSteps(String log, String killed, java.time.LocalTime killedAt) {
    String host = killed.substring(killed.indexOf('@') + 1);
    String[][] steps = {{"unreachable", "Marking node as UNREACHABLE"}, {"downed", "SBR took decision"},
        {"removed", "removed: asking again"}};
    StringBuilder out = new StringBuilder();
    for (String[] step : steps) {
      String at = log.lines().filter(l -> l.length() > 12 && l.charAt(2) == ':' && l.contains(step[1]) && l.contains(host))
          .mapToLong(l -> java.time.Duration.between(killedAt, java.time.LocalTime.parse(l.substring(0, 12))).toMillis())
          .min().stream().mapToObj(ms -> ms + "ms").findFirst().orElse("?");
      out.append(step[0]).append('=').append(at).append(' ');
    }
    return out.toString().trim();
  }

  private static void start(NodeProcess n) {
    try {
      n.start();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
