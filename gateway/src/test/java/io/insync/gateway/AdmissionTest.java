package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The node bounds the requests it has in flight to entities, across all sessions. */
@ParameterizedClass
@EnumSource(Transport.class)
class AdmissionTest {
  @Parameter
  Transport transport;

  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static void assertRefused(Envelope e, long requestId, int retryAfterMs, boolean fatal) {
    assertTrue(e.hasError(), () -> "expected an Error, got " + e);
    assertEquals(requestId, e.getRequestId());
    assertEquals(ErrorCode.UNAVAILABLE, e.getError().getCode(), e.getError().getReason());
    assertEquals(retryAfterMs, e.getError().getRetryAfterMs());
    assertEquals(fatal, e.getError().getFatal());
  }

  @Test
  void anAuthRefusedForItsPlatformKeepsNoPlaceInAdmission() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "admission { auth-max-in-flight = 2 }")) {
      String tooLong = "p".repeat(33);
      for (int i = 0; i < 3; i++) {
        try (TestClient c = gw.connect()) {
          c.send(Envelopes.auth(1, GatewayFixture.token("eve" + i, "phone"), "t", tooLong));
          Envelope e = c.read();
          assertEquals(ErrorCode.BAD_REQUEST, e.getError().getCode(), e.toString());
          assertTrue(e.getError().getFatal());
          assertTrue(c.closedByServer());
        }
      }
      // had each refusal kept its place, the node would now refuse every Auth as busy
      try (TestClient ok = gw.authenticated("alice", "phone")) {
        ok.send(Envelopes.heartbeat(2, 0));
        assertTrue(ok.read().hasHeartbeat());
      }
    }
  }

  @Test
  void pastTheNodeBoundSendsSyncsAndNewSessionsAreRefusedAtOnce() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "request-timeout = 60s\n"
        + "admission { max-in-flight = 3, auth-max-in-flight = 2, retry-max-in-flight = 3 }\n"
        + "retry-after { node-busy = 777ms, auth-refused = 888ms }");
         TestClient a = gw.authenticated("alice", "phone");
         TestClient b = gw.authenticated("bob", "phone")) {
      List<UserEntity.SendMessage> held = new ArrayList<>();
      a.send(Envelopes.send(2, "a1", "bob", Envelopes.text("1")));
      held.add(gw.users.next(UserEntity.SendMessage.class));
      a.send(Envelopes.send(3, "a2", "bob", Envelopes.text("2")));
      held.add(gw.users.next(UserEntity.SendMessage.class));

      // a new session is refused once the node is at its auth bound: fatal, with a retry hint
      try (TestClient c = gw.connect()) {
        c.send(Envelopes.auth(1, GatewayFixture.token("carol", "phone"), "t"));
        assertRefused(c.read(), 1, 888, true);
        assertTrue(c.closedByServer());
      }

      b.send(Envelopes.send(2, "b1", "alice", Envelopes.text("3")));
      held.add(gw.users.next(UserEntity.SendMessage.class));
      // the node is full: the next ones are refused at once, not queued
      b.send(Envelopes.send(3, "b2", "alice", Envelopes.text("4")));
      assertRefused(b.read(), 3, 777, false);
      b.send(Envelopes.sync(4, 0, 0));
      assertRefused(b.read(), 4, 777, false);
      assertEquals(3, gw.users.sends.get());
      assertEquals(0, gw.users.syncs.get());

      // heartbeats still pass: they keep the session registered
      b.send(Envelopes.heartbeat(5, 0));
      assertTrue(b.read().hasHeartbeat());

      // answered: capacity comes back
      for (UserEntity.SendMessage s : held) s.replyTo().tell(new UserEntity.SendAccepted(s.clientMsgId(), 1, 1));
      assertTrue(a.read().hasSendAck());
      assertTrue(a.read().hasSendAck());
      assertTrue(b.read().hasSendAck());
      gw.users.policy = cmd -> cmd instanceof UserEntity.SendMessage s
          ? new UserEntity.SendAccepted(s.clientMsgId(), 2, 1) : null;
      b.send(Envelopes.send(6, "b2", "alice", Envelopes.text("4")));
      Envelope ack = b.read();
      assertTrue(ack.hasSendAck(), () -> "after the bound cleared: " + ack);
    }
  }

  @Test
  void retriesAreRefusedBeforeFirstAttemptsSoFreshMessagesGetIn() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "request-timeout = 60s\n"
        + "admission { max-in-flight = 3, auth-max-in-flight = 3, retry-max-in-flight = 1 }\n"
        + "retry-after { node-busy = 777ms }");
         TestClient a = gw.authenticated("alice", "phone")) {
      List<UserEntity.SendMessage> held = new ArrayList<>();
      a.send(Envelopes.send(2, "r1", "bob", Envelopes.text("1"), 1));
      held.add(gw.users.next(UserEntity.SendMessage.class));
      // one request in flight: a second retry is refused ...
      a.send(Envelopes.send(3, "r2", "bob", Envelopes.text("2"), 3));
      assertRefused(a.read(), 3, 777, false);
      // ... while first attempts still get in, up to max-in-flight
      a.send(Envelopes.send(4, "f1", "bob", Envelopes.text("3")));
      held.add(gw.users.next(UserEntity.SendMessage.class));
      a.send(Envelopes.send(5, "f2", "bob", Envelopes.text("4")));
      held.add(gw.users.next(UserEntity.SendMessage.class));
      a.send(Envelopes.send(6, "f3", "bob", Envelopes.text("5")));
      assertRefused(a.read(), 6, 777, false);
      assertEquals(List.of("r1", "f1", "f2"), held.stream().map(UserEntity.SendMessage::clientMsgId).toList());
      for (UserEntity.SendMessage s : held) s.replyTo().tell(new UserEntity.SendAccepted(s.clientMsgId(), 1, 1));
      for (int i = 0; i < 3; i++) assertTrue(a.read().hasSendAck());
    }
  }

  @Test
  void aTimedOutRequestGivesItsPlaceBack() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "request-timeout = 2s\n"
        + "admission { max-in-flight = 1, auth-max-in-flight = 1, retry-max-in-flight = 1 }");
         TestClient a = gw.authenticated("alice", "phone")) {
      a.send(Envelopes.send(2, "a1", "bob", Envelopes.text("1")));
      gw.users.next(UserEntity.SendMessage.class);
      a.send(Envelopes.send(3, "a2", "bob", Envelopes.text("2")));
      Envelope refused = a.read();
      assertEquals(3, refused.getRequestId(), "refused at once, before the first one times out");
      Envelope timedOut = a.read();
      assertEquals(2, timedOut.getRequestId());
      assertEquals(ErrorCode.UNAVAILABLE, timedOut.getError().getCode());
      assertFalse(timedOut.getError().getFatal());
      gw.users.policy = cmd -> cmd instanceof UserEntity.SendMessage s
          ? new UserEntity.SendAccepted(s.clientMsgId(), 1, 1) : null;
      a.send(Envelopes.send(4, "a2", "bob", Envelopes.text("2")));
      assertTrue(a.read().hasSendAck());
    }
  }
}
