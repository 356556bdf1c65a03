package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Devices stay connected (heartbeating) through node B while their user entities are passivated
 * (a 3 s idle timeout here; heartbeats no longer count as activity). A message to each then
 * starts its entity again, on whichever node its shard lives (for some users A: the lookup and
 * the push cross nodes), which finds the device through B's presence directory and pushes: the
 * device gets the item without reconnecting or syncing on its own.
 */
@ExtendWith(CassandraExtension.class)
class PresenceIT {
  static final String[] ARGS = {
      "-Dpekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout=3s",
      "-DINSYNC_LOG_LEVEL=DEBUG"};

  @Test
  void aDeviceConnectedWhileItsEntityWasPassivatedGetsThePush() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    int users = 8;
    try (NodeProcess a = new NodeProcess(cassandra, "presence-a").withJvmArgs(ARGS);
        NodeProcess b = new NodeProcess(cassandra, "presence-b").withJvmArgs(ARGS)) {
      a.withSeeds(a.clusterAddress()).start();
      b.withSeeds(a.clusterAddress()).start();
      List<TestDevice> receivers = new ArrayList<>();
      TestDevice sender = null;
      try {
        for (int i = 0; i < users; i++) receivers.add(new TestDevice("p" + i + "-" + run, "phone", b.tcpPort()).connect());
        // every receiver's entity stops (passivation) while its device stays connected and heartbeats
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<String> running = new ArrayList<>();
        do {
          running.clear();
          String logs = a.output() + b.output();
          for (TestDevice r : receivers) if (!logs.contains("user " + r.user + " stopped")) running.add(r.user);
          if (!running.isEmpty()) Thread.sleep(200);
        } while (!running.isEmpty() && System.nanoTime() < deadline);
        assertEquals(List.of(), running, "entities not passivated within 60 s");
        for (TestDevice r : receivers) assertTrue(r.client.isConnected(), r.user + " stays connected");
        assertTrue(receivers.stream().allMatch(r -> r.items().isEmpty()));

        sender = new TestDevice("sender-" + run, "pc", a.tcpPort()).connect();
        List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < users; i++) acks.add(sender.client.send("m" + i, receivers.get(i).user, Envelopes.text("hi " + i)));
        for (CompletableFuture<SendAck> f : acks) f.get(60, TimeUnit.SECONDS);
        for (int i = 0; i < users; i++) {
          List<Item> got = receivers.get(i).awaitItems(1, Duration.ofSeconds(30));
          assertEquals(List.of("hi " + i), got.stream().map(it -> it.getContent().getText()).toList());
        }
        String logs = a.output() + b.output();
        for (TestDevice r : receivers) {
          String started = "user " + r.user + " started";
          int starts = (logs.length() - logs.replace(started, "").length()) / started.length();
          assertTrue(starts >= 2, r.user + " was started again for the message (" + starts + " starts)");
        }
      } finally {
        receivers.forEach(TestDevice::close);
        if (sender != null) sender.close();
      }
    }
  }
}
