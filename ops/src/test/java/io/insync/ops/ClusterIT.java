package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * Two real nodes in one cluster: users are sharded over both, so sends, deliveries, pushes and
 * syncs cross nodes (Kryo-serialized commands and typed ActorRefs), whichever gateway a device uses.
 */
@ExtendWith(CassandraExtension.class)
class ClusterIT {

  @Test
  void devicesOnEitherNodeReachUsersOnBoth() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    try (NodeProcess a = new NodeProcess(cassandra, "cluster-a");
        NodeProcess b = new NodeProcess(cassandra, "cluster-b")) {
      a.withSeeds(a.clusterAddress()).start();
      b.withSeeds(a.clusterAddress()).start();
      int pairs = 12;
      List<TestDevice> receivers = new ArrayList<>();
      List<TestDevice> senders = new ArrayList<>();
      try {
        for (int i = 0; i < pairs; i++) {
          receivers.add(new TestDevice("r" + i + "-" + run, "phone", a.tcpPort()).connect());
          senders.add(new TestDevice("s" + i + "-" + run, "phone", b.tcpPort()).connect());
        }
        List<CompletableFuture<SendAck>> acks = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
          for (int m = 0; m < 5; m++) {
            acks.add(senders.get(i).client.send("m" + m, receivers.get(i).user, Envelopes.text(i + ":" + m)));
          }
        }
        for (CompletableFuture<SendAck> f : acks) f.get(60, TimeUnit.SECONDS);
        for (int i = 0; i < pairs; i++) {
          List<Item> got = receivers.get(i).awaitItems(5, Duration.ofSeconds(30));
          assertEquals(List.of(i + ":0", i + ":1", i + ":2", i + ":3", i + ":4"),
              got.stream().map(it -> it.getContent().getText()).toList());
          assertEquals(List.of(1L, 2L, 3L, 4L, 5L), got.stream().map(Item::getSeq).toList());
        }
      } finally {
        receivers.forEach(TestDevice::close);
        senders.forEach(TestDevice::close);
      }
    }
  }
}
