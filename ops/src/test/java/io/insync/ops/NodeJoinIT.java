package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Envelope;
import io.insync.protocol.Item;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A node that joins a running cluster opens its client port only once it can serve (issue 5, item
 * 7): right after its ready line, Auths of users never seen before (whose shards are allocated now,
 * many to the new node, whose journal has not served anyone yet) are answered at once. The test
 * node's auth-timeout is 2 s, so an Auth waiting for an unallocated shard or a cold journal gets a
 * fatal TIMEOUT instead of AuthOk.
 */
@ExtendWith(CassandraExtension.class)
class NodeJoinIT {
  private static final int USERS = 12;

  @Test
  void aJoiningNodeServesAuthRightAfterItsReadyLine() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    TokenSigner signer = TokenSigner.fromSecret(TokenSigner.DEV_SECRET);
    try (NodeProcess a = new NodeProcess(cassandra, "join-a");
        NodeProcess b = new NodeProcess(cassandra, "join-b")) {
      a.withSeeds(a.clusterAddress()).start();
      b.withSeeds(a.clusterAddress()).start();
      // no pause: the ready line is the promise
      List<RawConnection> connections = new ArrayList<>();
      try {
        for (int i = 0; i < USERS; i++) {
          RawConnection c = new RawConnection(b.tcpPort());
          connections.add(c);
          c.send(Envelopes.auth(1, signer.sign("join" + i + "-" + run, "phone", Instant.now().plusSeconds(120)), "raw"));
        }
        for (int i = 0; i < USERS; i++) {
          Envelope answer = connections.get(i).read();
          assertTrue(answer.hasAuthOk(), "user " + i + " on the new node got " + answer + "\nnode b:\n" + b.output());
        }
      } finally {
        for (RawConnection c : connections) c.close();
      }
      // and the new node takes part in the cluster: a message from a device on b to one on a
      try (TestDevice onB = new TestDevice("from-b-" + run, "phone", b.tcpPort()).connect();
          TestDevice onA = new TestDevice("to-a-" + run, "phone", a.tcpPort()).connect()) {
        assertEquals(1, onB.client.send("j1", onA.user, Envelopes.text("hello from b")).get(20, TimeUnit.SECONDS).getSeq());
        List<Item> got = onA.awaitItems(1, Duration.ofSeconds(20));
        assertEquals("hello from b", got.get(0).getContent().getText());
      }
    }
  }

  /**
   * A node that joins while its own journal cannot be reached (here: a Cassandra address nobody
   * listens on) must not let clients in: the users whose shards it would host could not be served.
   * Before, it said ready as soon as a user entity answered through sharding, which could be
   * anywhere in the cluster.
   */
  @Test
  void aJoiningNodeWhoseJournalDoesNotAnswerNeverOpensItsClientPort() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String nowhere = "127.0.0.1:" + NodeProcess.freePort();
    try (NodeProcess a = new NodeProcess(cassandra, "join-a2");
        NodeProcess b = new NodeProcess(nowhere, "join-no-journal")) {
      a.withSeeds(a.clusterAddress()).start();
      NodeProcess.NotReady r = b.withSeeds(a.clusterAddress())
          .withJvmArgs("-Dinsync.node.ready-timeout=15s", "-Dinsync.node.ready-probe-timeout=3s")
          .startExpectingNoReady(Duration.ofSeconds(45));
      assertTrue(!r.saidReady(), "no ready line\n" + r.output());
      assertTrue(!r.portOpened(), "the client port never accepted a connection\n" + r.output());
      assertTrue(r.exitCode().isPresent() && r.exitCode().getAsInt() != 0, "it gave up and exited non-zero\n" + r.output());
      assertTrue(r.output().contains("this node's journal answers"), "and said why\n" + r.output());
    }
  }
}
