package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SIGKILL of the node while messages are in flight: every acked message survives, in order,
 * gapless, and the clients' retries (same client_msg_id) complete the rest without duplicates.
 */
@ExtendWith(CassandraExtension.class)
class CrashRecoveryIT {

  @Test
  void killedNodeLosesNoAckedMessageAndRetriesDoNotDuplicate() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    String bob = "bob-" + run;
    List<String> senders = List.of("s1-" + run, "s2-" + run, "s3-" + run);
    int perSender = 120;
    // both node incarnations listen on the same port, so the clients reconnect by themselves
    NodeProcess first = new NodeProcess(cassandra, "crash-1").start();
    int port = first.tcpPort();
    Map<String, SendAck> acked = new ConcurrentHashMap<>();
    List<TestDevice> devices = new ArrayList<>();
    List<CompletableFuture<SendAck>> all = new ArrayList<>();
    NodeProcess second = null;
    try {
      for (String s : senders) devices.add(new TestDevice(s, "phone", port).connect());
      for (int i = 0; i < perSender; i++) {
        for (TestDevice d : devices) {
          String id = d.user + "-" + i;
          all.add(d.client.send(id, bob, Envelopes.text(id)).whenComplete((ack, err) -> {
            if (ack != null) acked.put(id, ack);
          }));
        }
        if (i == perSender / 3) {
          // wait until some are acked, then kill the node mid-stream
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
          while (acked.size() < 30 && System.nanoTime() < deadline) Thread.sleep(10);
          assertTrue(acked.size() >= 30, "some messages acked before the kill");
          first.kill();
          second = restartOnSamePort(cassandra, port);
        }
      }
      Map<String, SendAck> ackedBeforeCompletion = new HashMap<>(acked);
      for (CompletableFuture<SendAck> f : all) f.get(120, TimeUnit.SECONDS);
      assertEquals(senders.size() * perSender, acked.size(), "every send eventually acked");

      // read bob's whole inbox
      List<Item> inbox = new ArrayList<>();
      try (TestDevice reader = new TestDevice(bob, "reader", port).connect()) {
        long key = 0;
        while (true) {
          SyncResult r = reader.client.sync(key, 0).get(30, TimeUnit.SECONDS);
          inbox.addAll(r.getItemsList());
          key = r.getSyncKey();
          if (!r.getHasMore()) break;
        }
      }
      for (int i = 0; i < inbox.size(); i++) assertEquals(i + 1, inbox.get(i).getSeq(), "gapless");
      Map<String, Integer> copies = new HashMap<>();
      for (Item it : inbox) copies.merge(it.getClientMsgId(), 1, Integer::sum);
      for (String id : ackedBeforeCompletion.keySet()) assertEquals(1, copies.getOrDefault(id, 0), "acked " + id + " present once");
      assertEquals(senders.size() * perSender, inbox.size(), "no duplicates, nothing missing");
      // each sender's messages arrive in the order they were sent
      for (String s : senders) {
        List<Integer> order = inbox.stream().filter(it -> it.getFrom().equals(s))
            .map(it -> Integer.parseInt(it.getClientMsgId().substring(it.getClientMsgId().lastIndexOf('-') + 1))).toList();
        for (int i = 0; i < order.size(); i++) assertEquals(i, order.get(i), "order from " + s);
      }
    } finally {
      devices.forEach(TestDevice::close);
      first.close();
      if (second != null) second.close();
    }
  }

  private static NodeProcess restartOnSamePort(String cassandra, int port) throws Exception {
    return new NodeProcess(cassandra, "crash-2", port).start();
  }
}
