package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A Send or Sync whose entity does not answer (the command was lost while its shard moved) is asked
 * again after entity-attempt-timeout, within request-timeout, instead of failing to the client.
 */
class EntityRetryTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static GatewayFixture gateway() throws InterruptedException {
    return new GatewayFixture(kit, "request-timeout = 3s\n entity-attempt-timeout = 400ms\n");
  }

  @Test
  void aSendLostOnTheWayIsAskedAgainWithTheSameIdAndTheClientGetsItsAck() throws Exception {
    try (GatewayFixture gw = gateway(); TestClient c = gw.authenticated("alice", "phone")) {
      AtomicInteger seen = new AtomicInteger();
      gw.users.policy = cmd -> seen.incrementAndGet() == 1 ? null // the first attempt is lost
          : new UserEntity.SendAccepted(((UserEntity.SendMessage) cmd).clientMsgId(), 7, 1L);
      c.send(Envelopes.send(2, "m1", "bob", Envelopes.text("hi")));
      Envelope ack = c.read();
      assertEquals(2, ack.getRequestId());
      assertEquals(7, ack.getSendAck().getSeq(), () -> "got " + ack);
      UserEntity.SendMessage first = gw.users.next(UserEntity.SendMessage.class);
      UserEntity.SendMessage second = gw.users.next(UserEntity.SendMessage.class);
      assertEquals("m1", first.clientMsgId());
      assertEquals("m1", second.clientMsgId(), "the same command: deduplicated by its client_msg_id");
      assertEquals(2, gw.users.sends.get());
      assertEquals(0, inFlightSettled(gw), "one admission place, given back once");
    }
  }

  @Test
  void aRouteChangeAsksAgainAtOnceInsteadOfAtTheAttemptTimeout() throws Exception {
    // a node was removed: the first attempt went to its shards and is lost; the attempt timeout is far away
    try (GatewayFixture gw = new GatewayFixture(kit, "request-timeout = 60s\n entity-attempt-timeout = 30s\n");
         TestClient c = gw.authenticated("alice", "phone")) {
      AtomicInteger seen = new AtomicInteger();
      gw.users.policy = cmd -> seen.incrementAndGet() == 1 ? null
          : new UserEntity.SendAccepted(((UserEntity.SendMessage) cmd).clientMsgId(), 9, 1L);
      c.send(Envelopes.send(2, "m1", "bob", Envelopes.text("hi")));
      assertEquals("m1", gw.users.next(UserEntity.SendMessage.class).clientMsgId());
      long t0 = System.nanoTime();
      gw.routes.changed();
      Envelope ack = c.read();
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertEquals(9, ack.getSendAck().getSeq(), () -> "got " + ack);
      assertTrue(tookMs < 20_000, "asked again on the route change, not after the 30 s attempt timeout: " + tookMs);
      assertEquals(2, gw.users.sends.get());
      assertEquals(0, inFlightSettled(gw), "one admission place, given back once");
      assertEquals(0, gw.routes.listeners(), "nothing left listening once answered");
      gw.routes.changed();
      assertEquals(2, gw.users.sends.get(), "an answered request is not asked again");
    }
  }

  @Test
  void aSyncLostOnTheWayIsAskedAgain() throws Exception {
    try (GatewayFixture gw = gateway(); TestClient c = gw.authenticated("alice", "phone")) {
      AtomicInteger seen = new AtomicInteger();
      gw.users.policy = cmd -> seen.incrementAndGet() == 1 ? null : new UserEntity.SyncOk(List.of(), 0, false, 0);
      c.send(Envelopes.sync(3, 0, 0));
      Envelope r = c.read();
      assertEquals(3, r.getRequestId());
      assertTrue(r.hasSyncResult(), () -> "got " + r);
      assertEquals(2, gw.users.syncs.get());
    }
  }

  @Test
  void anEntityThatNeverAnswersIsAskedABoundedNumberOfTimesThenTheClientIsToldToRetry() throws Exception {
    try (GatewayFixture gw = gateway(); TestClient c = gw.authenticated("alice", "phone")) {
      long t0 = System.nanoTime();
      c.send(Envelopes.send(2, "m2", "bob", Envelopes.text("hi")));
      Envelope e = c.read();
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertEquals(ErrorCode.UNAVAILABLE, e.getError().getCode(), () -> "got " + e);
      assertEquals(2, e.getRequestId());
      assertTrue(tookMs >= 2900, "within request-timeout, not before: " + tookMs);
      int asked = gw.users.sends.get();
      assertTrue(asked >= 2 && asked <= 8, "3 s / 400 ms: about 8 attempts at most: " + asked);
      assertEquals(0, inFlightSettled(gw));
    }
  }

  @Test
  void aSaturatedNodeDoesNotAskAgain() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, "request-timeout = 2s\n entity-attempt-timeout = 300ms\n"
        + "admission { max-in-flight = 1, auth-max-in-flight = 1, retry-max-in-flight = 1 }\n");
         TestClient c = gw.authenticated("alice", "phone")) {
      // the Auth's place is given back beside its answer, maybe after the client read AuthOk: with
      // max-in-flight = 1 a Send sent before that is refused at admission and never reaches the entity
      assertEquals(0, inFlightSettled(gw), "the Auth's admission place is given back");
      c.send(Envelopes.send(2, "m3", "bob", Envelopes.text("hi")));
      Envelope e = c.read();
      assertEquals(ErrorCode.UNAVAILABLE, e.getError().getCode(), () -> "got " + e);
      assertEquals(1, gw.users.sends.get(), "at max-in-flight the entity is queueing: asked once");
    }
  }

  /** The admission count once the completions have run (the place is given back beside the answer). */
  private static int inFlightSettled(GatewayFixture gw) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (gw.gateway.requestsInFlight() != 0 && System.nanoTime() < until) Thread.sleep(5);
    return gw.gateway.requestsInFlight();
  }
}
