package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One of three nodes is frozen (SIGSTOP, as a very long GC pause) until the others have downed and
 * removed it and serve its users themselves; meanwhile client frames pile up in its sockets (a Send
 * for every user, written to connections it had accepted). Then it is resumed (SIGCONT): it must
 * not write to any journal — no user's journal gets a second writer's event (each sequence number
 * once, gapless, read straight from Cassandra), every inbox is exactly-once and gapless — and it
 * must stop by itself.
 */
@ExtendWith(CassandraExtension.class)
class PauseIT {
  private static final int PAIRS = 12;

  @Test
  void aNodeResumedAfterItWasDownedWritesNothingAndStops() throws Exception {
    String cassandra = CassandraExtension.host() + ":" + CassandraExtension.port();
    String run = UUID.randomUUID().toString().substring(0, 8);
    // idle connections stay open on the frozen node (the injected frames must find their sessions)
    String[] args = {"-Dinsync.gateway.idle-timeout=300s"};
    try (NodeProcess a = new NodeProcess(cassandra, "pause-a").withJvmArgs(args);
        NodeProcess b = new NodeProcess(cassandra, "pause-b").withJvmArgs(args);
        NodeProcess c = new NodeProcess(cassandra, "pause-c").withJvmArgs(args)) {
      a.withSeeds(a.clusterAddress()).start();
      b.withSeeds(a.clusterAddress());
      c.withSeeds(a.clusterAddress());
      CompletableFuture<Void> bUp = CompletableFuture.runAsync(() -> start(b));
      start(c);
      bUp.join();

      List<RawConnection> stale = new ArrayList<>();
      try (PairLoad load = new PairLoad(run, PAIRS, a.tcpPort(), b.tcpPort(), c.tcpPort())) {
        List<String> users = load.users();
        load.connectAll();
        for (String u : users) stale.add(authenticated(u, c.tcpPort()));
        load.start(40);
        assertTrue(load.awaitAcked(100, Duration.ofSeconds(60)), "load flowing: " + load.ackedCount());

        c.pause();
        boolean resumed = false;
        try {
          // the others downed it, removed it and quarantined its incarnation (Pekko logs the last at WARN)
          String removed = "Association to [" + c.clusterAddress() + "] with UID";
          boolean gone = awaitLine(a, removed, Duration.ofSeconds(60)) && awaitLine(b, removed, Duration.ofSeconds(30));
          assertTrue(gone, "the others removed the frozen node from the cluster:\n" + tail(a));
          long removedAt = System.nanoTime();
          // its users now live on a and b, and have written there
          long deadline = removedAt + Duration.ofSeconds(60).toNanos();
          while (load.servedAgainAfter(removedAt).isEmpty() && System.nanoTime() < deadline) Thread.sleep(100);
          assertTrue(load.servedAgainAfter(removedAt).isPresent(), "every user served by the two others");
          // frames the frozen node will read when it wakes up: a Send for every user
          for (int i = 0; i < users.size(); i++) {
            String u = users.get(i);
            stale.get(i).send(Envelopes.send(100, "stale-" + u, PairLoad.partnerOf(users, u), Envelopes.text("stale")));
          }
          c.resume();
          resumed = true;
          OptionalInt exit = c.awaitExit(Duration.ofSeconds(90));
          assertTrue(exit.isPresent(), "the resumed node stops by itself:\n" + tail(c));
          String out = c.output();
          System.out.println("PAUSE resumed node exited with " + exit.getAsInt() + "; fence latched: "
              + out.contains("one writer per user: this process was paused") + "; refused writes logged: "
              + out.contains("refused a journal write"));
          assertTrue(out.contains("one writer per user: this process was paused"), "the fence saw the pause:\n" + tail(c));
        } finally {
          if (!resumed) c.resume();
        }
        Thread.sleep(2000);
        load.stop();
        load.awaitAllAcked(Duration.ofSeconds(150));
        load.verifyInboxes(id -> id.startsWith("stale-"), a.tcpPort(), b.tcpPort());
        assertJournalsHaveOneWriter(users);
      } finally {
        for (RawConnection r : stale) r.close();
      }
    }
  }

  /** Each user's journal, straight from Cassandra: sequence numbers 1..n, each exactly once. */
  private static void assertJournalsHaveOneWriter(List<String> users) {
    try (CqlSession s = CassandraExtension.launcher().openSession()) {
      PreparedStatement q = s.prepare(
          "SELECT sequence_nr FROM insync_journal.messages WHERE persistence_id = ? AND partition_nr = 0");
      for (String u : users) {
        List<Long> seqs = new ArrayList<>();
        for (Row r : s.execute(q.bind(UserEntity.persistenceId(u).id()))) seqs.add(r.getLong("sequence_nr"));
        assertTrue(!seqs.isEmpty(), u + " has a journal");
        for (int i = 0; i < seqs.size(); i++) {
          assertEquals(i + 1, seqs.get(i), u + ": journal sequence numbers once each, gapless: " + seqs);
        }
      }
    }
  }

  private static RawConnection authenticated(String user, int port) throws Exception {
    RawConnection r = new RawConnection(port);
    String token = TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(user, "stale", Instant.now().plus(Duration.ofHours(1)));
    r.send(Envelopes.auth(1, token, "pause-it"));
    for (int i = 0; i < 10; i++) {
      Envelope e = r.read();
      if (e.hasAuthOk()) return r;
    }
    throw new AssertionError("no AuthOk for " + user);
  }

  private static boolean awaitLine(NodeProcess n, String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    do {
      if (n.output().lines().anyMatch(l -> l.contains(text) && l.contains("quarantined"))) return true;
      Thread.sleep(100);
    } while (System.nanoTime() < deadline);
    return false;
  }

  private static String tail(NodeProcess n) throws Exception {
    String out = n.output();
    return out.substring(Math.max(0, out.length() - 4000));
  }

  private static void start(NodeProcess n) {
    try {
      n.start();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
