package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Content;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Two nodes; 64 KiB binary messages between users, and syncs of byte-cut pages, with every user
 * having a device on each node, so that for each user one of its devices syncs through a gateway
 * on the other node than its entity (pages and deliveries cross Artery, Kryo-serialized).
 */
@ExtendWith(CassandraExtension.class)
class CrossNodeLimitsIT {
  static final String FRAME = "-Dpekko.remote.artery.advanced.maximum-frame-size=1MiB";

  static byte[] binary(int n, int salt) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) b[i] = (byte) (i * 131 + salt * 7);
    return b;
  }

  @Test
  void bigBinaryMessagesAndByteCutPagesCrossNodes() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    int users = 4;
    int perUser = 10;
    int size = 64 * 1024 - 8;
    try (NodeProcess a = new NodeProcess(cassandra, "xnode-a").withJvmArgs(FRAME);
        NodeProcess b = new NodeProcess(cassandra, "xnode-b").withJvmArgs(FRAME)) {
      a.withSeeds(a.clusterAddress()).start();
      b.withSeeds(a.clusterAddress()).start();
      List<TestDevice> onA = new ArrayList<>();
      List<TestDevice> onB = new ArrayList<>();
      try {
        for (int u = 0; u < users; u++) {
          onA.add(Inboxes.connect("big" + u + "-" + run, "on-a", a.tcpPort()));
          onB.add(Inboxes.connect("big" + u + "-" + run, "on-b", b.tcpPort()));
        }
        // user u sends to user u+1, alternating the sending device's node
        List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int m = 0; m < perUser; m++) {
          for (int u = 0; u < users; u++) {
            TestDevice from = (m % 2 == 0 ? onA : onB).get(u);
            String to = onA.get((u + 1) % users).user;
            Content c = Content.newBuilder().setType("bin").setData(ByteString.copyFrom(binary(size, u * 100 + m))).build();
            acks.add(from.client.send(from.user + "-" + m, to, c));
          }
        }
        for (CompletableFuture<SendAck> f : acks) f.get(120, TimeUnit.SECONDS);
        for (int u = 0; u < users; u++) {
          int sender = (u + users - 1) % users;
          for (TestDevice reader : List.of(onA.get(u), onB.get(u))) {
            List<Integer> pages = new ArrayList<>();
            List<Item> inbox = Inboxes.readAll(reader, pages);
            // the inbox holds the user's own sends too (for its other devices)
            assertEquals(2 * perUser, inbox.size(), reader.user + "/" + reader.device + " pages " + pages);
            assertTrue(pages.size() >= 2, "byte-cut pages: " + pages);
            for (int i = 0; i < inbox.size(); i++) assertEquals(i + 1, inbox.get(i).getSeq(), "gapless");
            List<Item> received = inbox.stream().filter(it -> it.getFrom().equals(onA.get(sender).user)).toList();
            assertEquals(perUser, received.size());
            // the sender used two devices (one per node): no order between them, each once
            java.util.Map<String, Item> byId = new java.util.HashMap<>();
            for (Item it : received) byId.put(it.getClientMsgId(), it);
            assertEquals(perUser, byId.size(), "each once");
            for (int m = 0; m < perUser; m++) {
              Item it = byId.get(onA.get(sender).user + "-" + m);
              assertArrayEquals(binary(size, sender * 100 + m), it.getContent().getData().toByteArray());
            }
          }
        }
      } finally {
        onA.forEach(TestDevice::close);
        onB.forEach(TestDevice::close);
      }
    }
  }
}
