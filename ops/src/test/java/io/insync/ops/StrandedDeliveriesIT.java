package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Item;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Deliveries must not be stranded by a moved shard: the sender's deliveries are pending (the
 * recipient's journal writes fail), the sender's device goes offline, the sender's node leaves
 * (its shards hand off to the other node), the fault clears, and the recipient gets the messages,
 * once and in order, without the sender ever coming back.
 */
@ExtendWith(CassandraExtension.class)
class StrandedDeliveriesIT {

  @Test
  void pendingDeliveriesResumeAfterTheSendersNodeLeaves() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String sender = "ss-" + run;
    String recipient = "sr-" + run;
    Path faults = Path.of("target", "it-nodes", "failing-writes-" + run + ".txt").toAbsolutePath();
    Files.createDirectories(faults.getParent());
    Files.writeString(faults, "User|" + recipient + "\n");
    String[] args = {
        "-Dpekko.remote.artery.advanced.maximum-frame-size=1MiB",
        "-Dpekko.persistence.cassandra.journal.class=io.insync.ops.FaultyCassandraJournal",
        "-Dinsync.test.failing-writes=" + faults,
        "-Dinsync.user.delivery-timeout=2s",
        "-Dinsync.user.retry-max=2s",
        "-Dinsync.user.restart-max=2s"};
    int n = 5;
    try (NodeProcess a = new NodeProcess(cassandra, "strand-a").withJvmArgs(args);
        NodeProcess b = new NodeProcess(cassandra, "strand-b").withJvmArgs(args)) {
      a.withSeeds(a.clusterAddress()).start(); // alone: every entity starts here
      try (TestDevice phone = Inboxes.connect(sender, "phone", a.tcpPort());
          TestDevice laptop = Inboxes.connect(sender, "laptop", a.tcpPort())) {
        for (int i = 0; i < n; i++) phone.client.send("m" + i, recipient, Envelopes.text("m" + i));
        // the sends are durable in the sender's own inbox (its other device sees them) ...
        laptop.awaitItems(n, Duration.ofSeconds(60));
        // ... but undelivered: the recipient cannot write; give the first attempt time to fail
        Path log = Path.of("target", "it-nodes", "strand-a-" + a.tcpPort() + ".log");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.readString(log).contains("keeping deliveries of user " + sender)
            && System.nanoTime() < deadline) {
          Thread.sleep(200);
        }
      } // the sender's devices go offline for good
      b.withSeeds(a.clusterAddress()).start();
      a.close(); // graceful: leaves the cluster, its shards hand off to b
      Files.writeString(faults, ""); // the recipient's journal works again
      try (TestDevice reader = Inboxes.connect(recipient, "phone", b.tcpPort())) {
        reader.awaitItems(n, Duration.ofSeconds(90));
        List<Item> inbox = Inboxes.readAll(reader, null);
        assertEquals(IntStream.range(0, n).mapToObj(i -> "m" + i).toList(),
            inbox.stream().map(Item::getClientMsgId).toList(), "once, in order");
        assertEquals(IntStream.rangeClosed(1, n).mapToObj(i -> (long) i).toList(),
            inbox.stream().map(Item::getSeq).toList());
      }
    }
  }
}
