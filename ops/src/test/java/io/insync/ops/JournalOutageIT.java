package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.persistence.cassandra.CassandraLauncher;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Cassandra stops answering for a while (SIGSTOP of the test Cassandra) while users send; then
 * it is back (SIGCONT). Every user must be served again soon after (journal writes and
 * recoveries failed meanwhile: the entities restarted, and must not stay broken), and every
 * acked message is in its recipient's inbox exactly once.
 */
@ExtendWith(CassandraExtension.class)
class JournalOutageIT {

  @Test
  void everyUserIsServedAgainSoonAfterCassandraIsBackAndNothingAckedIsLost() throws Exception {
    CassandraLauncher cassandraNode = CassandraExtension.launcher();
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    List<String> recipients = List.of("or1-" + run, "or2-" + run);
    List<String> senders = List.of("os1-" + run, "os2-" + run, "os3-" + run, "os4-" + run);
    Map<String, String> acked = new ConcurrentHashMap<>(); // client_msg_id -> recipient
    List<CompletableFuture<SendAck>> all = new ArrayList<>();
    List<TestDevice> devices = new ArrayList<>();
    try (NodeProcess node = new NodeProcess(cassandra, "outage")
        .withJvmArgs("-Dpekko.remote.artery.advanced.maximum-frame-size=1MiB").start()) {
      try {
        for (String s : senders) devices.add(Inboxes.connect(s, "phone", node.tcpPort()));
        long pauseAt = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
        long resumeAt = pauseAt + TimeUnit.SECONDS.toNanos(20);
        long endAt = resumeAt + TimeUnit.SECONDS.toNanos(5);
        boolean paused = false;
        boolean resumed = false;
        int i = 0;
        try {
          while (System.nanoTime() < endAt) {
            for (int d = 0; d < devices.size(); d++) {
              TestDevice dev = devices.get(d);
              String id = dev.user + "-" + i;
              String to = recipients.get(d % recipients.size());
              all.add(dev.client.send(id, to, Envelopes.text(id)).whenComplete((ack, err) -> {
                if (ack != null) acked.put(id, to);
              }));
            }
            i++;
            if (!paused && System.nanoTime() >= pauseAt) {
              cassandraNode.pause();
              paused = true;
            }
            if (paused && !resumed && System.nanoTime() >= resumeAt) {
              cassandraNode.resume();
              resumed = true;
            }
            Thread.sleep(100);
          }
        } finally {
          if (paused && !resumed) cassandraNode.resume();
        }
        long resumedAt = System.nanoTime();
        // every user serves again soon: a fresh send from each sender, to each recipient, is acked
        List<CompletableFuture<SendAck>> probes = new ArrayList<>();
        for (TestDevice dev : devices) {
          for (String to : recipients) probes.add(dev.client.send(dev.user + "-probe-" + to, to, Envelopes.text("probe")));
        }
        for (CompletableFuture<SendAck> p : probes) p.get(90, TimeUnit.SECONDS);
        long servedAfter = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - resumedAt);
        assertTrue(servedAfter <= 60, "users served again " + servedAfter + " s after Cassandra came back");
        Map<String, String> ackedSoFar = Map.copyOf(acked);
        for (CompletableFuture<SendAck> f : all) f.get(150, TimeUnit.SECONDS); // the clients' retries finish the rest
        assertEquals(all.size(), acked.size(), "every send acked in the end");

        for (String r : recipients) {
          try (TestDevice reader = Inboxes.connect(r, "reader", node.tcpPort())) {
            List<Item> inbox = Inboxes.readAll(reader, null);
            for (int k = 0; k < inbox.size(); k++) assertEquals(k + 1, inbox.get(k).getSeq(), "gapless");
            Map<String, Integer> copies = Inboxes.copies(inbox);
            for (var e : acked.entrySet()) {
              if (e.getValue().equals(r)) assertEquals(1, copies.getOrDefault(e.getKey(), 0), "acked " + e.getKey() + " once");
            }
            assertTrue(ackedSoFar.keySet().stream().filter(k -> ackedSoFar.get(k).equals(r)).allMatch(copies::containsKey));
            assertEquals(copies.size(), inbox.size(), "no duplicates in " + r);
          }
        }
      } finally {
        devices.forEach(TestDevice::close);
      }
    }
  }
}
