package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A client that pipelines and reads slowly must not grow the node's memory: the gateway stops
 * reading its connection while too many of its requests are unanswered, or while its outbound
 * buffer is above the high-water mark, and resumes below.
 */
@ParameterizedClass
@EnumSource(Transport.class)
class BackpressureTest {
  @Parameter
  Transport transport;

  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void readsStopWhileTooManyRequestsAreOutstandingAndResumeBelow() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "request-timeout = 60s\n"
        + "backpressure { max-outstanding = 8, resume-outstanding = 4 }\n admission.max-in-flight = 100000");
         TestClient c = gw.authenticated("alice", "phone")) {
      int total = 200;
      String text = "x".repeat(4096);
      for (int i = 0; i < total; i++) c.write(Envelopes.send(100 + i, "m" + i, "bob", Envelopes.text(text)));
      c.flush();

      // nobody answers: the entity sees exactly the bound, not the rest of a socket read
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (gw.users.sends.get() < 8 && System.nanoTime() < deadline) Thread.sleep(10);
      int seen = FakeUser.settle(gw.users.sends, 500);
      int bound = 8;
      assertEquals(bound, seen, "the entity saw " + seen + " sends; bound " + bound);

      // answer what comes: reading resumes, and every send arrives, never more than the bound unanswered
      int answered = 0;
      while (answered < total) {
        UserEntity.SendMessage s = gw.users.next(UserEntity.SendMessage.class);
        assertTrue(gw.users.sends.get() - answered <= bound,
            "unanswered " + (gw.users.sends.get() - answered) + " > " + bound);
        s.replyTo().tell(new UserEntity.SendAccepted(s.clientMsgId(), answered + 1, 1L));
        answered++;
      }
      for (int i = 0; i < total; i++) {
        Envelope ack = c.read();
        assertTrue(ack.hasSendAck(), () -> "expected a SendAck, got " + ack);
      }
      assertEquals(total, gw.users.sends.get());
    }
  }

  private static final MessageContent BIG = new MessageContent("y".repeat(120 * 1024), new byte[0], "");

  /** A fake entity that answers every Sync with one item of {@code content}. */
  private static Function<UserEntity.Command, Object> syncsAnsweredWith(MessageContent content) {
    return cmd -> {
      UserEntity.Sync s = (UserEntity.Sync) cmd;
      InboxItem item = new InboxItem(s.afterKey() + 1, "bob", "alice", "pc", "c" + s.afterKey(), 1L, content, 0);
      return new UserEntity.SyncOk(List.of(item), s.afterKey() + 1, true, 100_000);
    };
  }

  @Test
  void readsStopWhileTheOutboundBufferIsAboveTheHighWaterMark() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "request-timeout = 60s\n"
        + "backpressure { max-outstanding = 100000, resume-outstanding = 50000,"
        + " write-buffer-high-water-mark = 64 KiB, write-buffer-low-water-mark = 16 KiB }\n"
        + "admission.max-in-flight = 100000")) {
      gw.users.policy = syncsAnsweredWith(BIG);
      try (TestClient c = gw.connect(transport, 8 * 1024)) {
        c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
        assertTrue(c.read().hasAuthOk());
        // 300 syncs, one at a time, each answered with ~120 KiB (36 MiB in all), and the client reads nothing
        int total = 300;
        for (int i = 0; i < total; i++) {
          c.send(Envelopes.sync(10 + i, i, 1));
          Thread.sleep(2);
        }
        int seen = FakeUser.settle(gw.users.syncs, 1000);
        assertTrue(seen < total / 2, "reading stopped while the client does not read: entity saw " + seen);

        // the client reads: the gateway resumes, and every sync is answered (answers may come in any order)
        java.util.Set<Long> answered = new java.util.HashSet<>();
        for (int i = 0; i < total; i++) {
          Envelope r = c.read();
          assertTrue(r.hasSyncResult(), () -> "got " + r);
          assertEquals(r.getRequestId() - 10 + 1, r.getSyncResult().getSyncKey());
          answered.add(r.getRequestId());
        }
        assertEquals(total, answered.size());
        assertEquals(total, gw.users.syncs.get());
      }
    }
  }

  @Test
  void aClientThatStopsReadingIsCutAtItsIdleTimeoutThoughItsLastErrorCannotBeWritten() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "request-timeout = 60s\n idle-timeout = 1s\n"
        + "backpressure { write-buffer-high-water-mark = 64 KiB, write-buffer-low-water-mark = 16 KiB }")) {
      gw.users.policy = syncsAnsweredWith(BIG);
      try (TestClient c = gw.connect(transport, 8 * 1024)) {
        c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
        assertTrue(c.read().hasAuthOk());
        for (int i = 0; i < 40; i++) c.send(Envelopes.sync(10 + i, i, 1)); // then never reads again
        // the Error{TIMEOUT} can never be written to a client that does not read; the gateway closes anyway
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (gw.gateway.openConnections() > 0 && System.nanoTime() < deadline) Thread.sleep(20);
        assertEquals(0, gw.gateway.openConnections(), "a client that does not read kept its connection");
      }
    }
  }
}
