package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Leave;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A leave that comes from the cluster, not from a signal (what management HTTP's leave route does:
 * {@code Cluster.manager ! Leave}): the leaving node still redirects its clients to the other
 * gateway before it closes them, and then stops by itself. The leaving node runs in this JVM so the
 * test can send the Leave; the other is a node process.
 */
@ExtendWith(CassandraExtension.class)
class ClusterLeaveIT {

  @Test
  void aClusterLeaveRedirectsClientsToTheOtherGatewayAndStopsTheNode() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    try (NodeProcess a = new NodeProcess(cassandra, "leave-a")) {
      a.withSeeds(a.clusterAddress()).start();
      Config config = ConfigFactory.parseMap(Map.of(
              "insync.gateway.port", 0,
              "insync.gateway.websocket.port", 0,
              "pekko.remote.artery.canonical.port", 0,
              "datastax-java-driver.basic.contact-points", List.of(cassandra),
              "datastax-java-driver.basic.load-balancing-policy.local-datacenter", "dc1",
              "pekko.cluster.seed-nodes", List.of(a.clusterAddress())))
          .withFallback(ConfigFactory.load()).resolve();
      InsyncNode b = InsyncNode.start(config);
      try {
        awaitDirectoryEntries(b, 2); // b knows a's gateway (gossip), so its Redirect can name it
        try (RawConnection raw = new RawConnection(b.tcpAddress().getPort())) {
          raw.send(Envelopes.auth(1, TokenSigner.fromSecret(TokenSigner.DEV_SECRET)
              .sign("leaver", "raw", Instant.now().plus(Duration.ofHours(1))), "it/raw"));
          assertTrue(raw.read().hasAuthOk());

          Cluster cluster = Cluster.get(b.system());
          cluster.manager().tell(Leave.create(cluster.selfMember().address()));

          Envelope first = raw.read();
          assertTrue(first.hasRedirect(), () -> "a Redirect first: " + first);
          assertEquals(List.of("127.0.0.1:" + a.tcpPort()), first.getRedirect().getTcpList(), "names the other gateway");
          assertEquals(List.of("ws://127.0.0.1:" + a.wsPort() + "/sync"), first.getRedirect().getWebsocketList());
          Envelope last = raw.read();
          assertEquals(ErrorCode.UNAVAILABLE, last.getError().getCode(), () -> "then closed: " + last);
          assertTrue(raw.closedByServer());
        }
        b.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
      } finally {
        b.close();
      }
      assertTrue(a.isAlive(), "the other node serves on");
    }
  }

  /** Waits (bounded) until the node's replica of the gateway directory holds {@code n} entries. */
  private static void awaitDirectoryEntries(InsyncNode node, int n) throws Exception {
    var replicator = DistributedData.get(node.system()).replicator();
    var key = LWWMapKey.<String, String>create("insync-gateways");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    int seen = 0;
    while (System.nanoTime() < deadline) {
      Replicator.GetResponse<LWWMap<String, String>> r = AskPattern.<Replicator.Command,
              Replicator.GetResponse<LWWMap<String, String>>>ask(replicator,
              replyTo -> new Replicator.Get<>(key, Replicator.readLocal(), replyTo), Duration.ofSeconds(3),
              node.system().scheduler())
          .toCompletableFuture().get(5, TimeUnit.SECONDS);
      if (r instanceof Replicator.GetSuccess<LWWMap<String, String>> ok) {
        seen = ok.dataValue().getEntries().size();
        if (seen >= n) return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("the gateway directory has " + seen + " entries, expected " + n);
  }
}
