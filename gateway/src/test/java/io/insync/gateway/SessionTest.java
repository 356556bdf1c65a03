package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Notify;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The session's protocol rules, over a real loopback connection to a fake user entity. */
@ParameterizedClass
@EnumSource(Transport.class)
class SessionTest {
  @Parameter
  Transport transport;

  static final ActorTestKit kit = ActorTestKit.create();
  GatewayFixture gw;

  @BeforeEach
  void start() throws Exception {
    gw = new GatewayFixture(kit, transport, "auth-timeout = 2s\n request-timeout = 1s\n stash-capacity = 4\n"
        + "retry-after.entity-timeout = 1234ms\n retry-after.stash-full = 321ms");
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static void assertError(Envelope e, long requestId, ErrorCode code, boolean fatal) {
    assertTrue(e.hasError(), () -> "expected an Error, got " + e);
    assertEquals(code, e.getError().getCode(), () -> "reason: " + e.getError().getReason());
    assertEquals(requestId, e.getRequestId());
    assertEquals(fatal, e.getError().getFatal());
  }

  /** The connection is alive and authenticated: a heartbeat is answered. */
  private void assertStillServing(TestClient c, long requestId) throws Exception {
    c.send(Envelopes.heartbeat(requestId, 0));
    Envelope hb = c.read();
    assertTrue(hb.hasHeartbeat(), () -> "expected a Heartbeat answer, got " + hb);
    assertEquals(requestId, hb.getRequestId());
  }

  @Test
  void malformedFrameGetsBadFrameAndClosesOnlyThatConnection() throws Exception {
    try (TestClient good = gw.authenticated("alice", "phone"); TestClient bad = gw.authenticated("bob", "phone")) {
      bad.sendRaw(new byte[] {0, 0, 0, 3, (byte) 0xff, (byte) 0xff, (byte) 0xff});
      assertError(bad.read(), 0, ErrorCode.BAD_FRAME, true);
      assertTrue(bad.closedByServer());
      assertStillServing(good, 2);
    }
  }

  @Test
  void unknownCommandIsUnsupportedAndTheConnectionStays() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      // request_id 42, then field 99 (an unknown command) with an empty body
      c.sendRaw(new byte[] {0, 0, 0, 5, 0x08, 0x2a, (byte) 0x9a, 0x06, 0x00});
      assertError(c.read(), 42, ErrorCode.UNSUPPORTED, false);
      assertStillServing(c, 2);
    }
  }

  @Test
  void commandBeforeAuthIsUnauthenticatedAndTheConnectionStays() throws Exception {
    try (TestClient c = gw.connect()) {
      c.send(Envelopes.send(5, "m1", "bob", Envelopes.text("hi")));
      assertError(c.read(), 5, ErrorCode.UNAUTHENTICATED, false);
      c.send(Envelopes.auth(6, GatewayFixture.token("alice", "phone"), "t"));
      assertTrue(c.read().hasAuthOk());
      assertEquals(0, gw.users.sends.get(), "nothing reached the entity before Auth");
    }
  }

  @Test
  void secondAuthIsBadRequestAndTheConnectionStays() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.send(Envelopes.auth(2, GatewayFixture.token("alice", "phone"), "t"));
      assertError(c.read(), 2, ErrorCode.BAD_REQUEST, false);
      assertStillServing(c, 3);
    }
  }

  @Test
  void requestIdZeroIsBadRequestAndTheConnectionStays() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.send(Envelopes.send(0, "m1", "bob", Envelopes.text("hi")));
      Envelope e = c.read();
      assertError(e, 0, ErrorCode.BAD_REQUEST, false);
      assertTrue(e.getError().getReason().contains("request_id"), e.getError().getReason());
      c.send(Envelopes.ack(0, 3));
      assertError(c.read(), 0, ErrorCode.BAD_REQUEST, false);
      assertStillServing(c, 2);
      assertEquals(0, gw.users.sends.get(), "the Send with request_id 0 did not reach the entity");
    }
  }

  @Test
  void requestIdZeroBeforeAuthIsBadRequest() throws Exception {
    try (TestClient c = gw.connect()) {
      c.send(Envelopes.auth(0, GatewayFixture.token("alice", "phone"), "t"));
      assertError(c.read(), 0, ErrorCode.BAD_REQUEST, false);
      c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
      assertTrue(c.read().hasAuthOk());
    }
  }

  @Test
  void emptyBodyIsBadRequestAndTheConnectionStays() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.sendRaw(new byte[] {0, 0, 0, 0});
      assertError(c.read(), 0, ErrorCode.BAD_REQUEST, false);
      c.send(Envelope.newBuilder().setRequestId(9).build()); // a request id, but no command
      Envelope e = c.read();
      assertError(e, 9, ErrorCode.BAD_REQUEST, false);
      assertTrue(e.getError().getReason().contains("no command"), e.getError().getReason());
      assertStillServing(c, 2);
    }
  }

  @Test
  void serverOnlyCommandsAreBadRequestAndTheConnectionStays() throws Exception {
    List<Envelope> serverOnly = List.of(
        Envelope.newBuilder().setRequestId(11).setAuthOk(AuthOk.newBuilder().setUserId("x")).build(),
        Envelope.newBuilder().setRequestId(12).setSendAck(SendAck.newBuilder().setSeq(1)).build(),
        Envelope.newBuilder().setRequestId(13).setSyncResult(SyncResult.newBuilder()).build(),
        Envelope.newBuilder().setRequestId(14).setNotify(Notify.newBuilder().setLatestSeq(1)).build(),
        Envelopes.error(15, ErrorCode.INTERNAL, "client-side error", 0, false));
    try (TestClient before = gw.connect(); TestClient after = gw.authenticated("alice", "phone")) {
      for (TestClient c : List.of(before, after)) {
        for (Envelope e : serverOnly) {
          c.send(e);
          Envelope answer = c.read();
          assertError(answer, e.getRequestId(), ErrorCode.BAD_REQUEST, false);
          assertTrue(answer.getError().getReason().contains("server"), answer.getError().getReason());
        }
      }
      assertStillServing(after, 2);
      before.send(Envelopes.auth(3, GatewayFixture.token("bob", "phone"), "t"));
      assertTrue(before.read().hasAuthOk(), "the unauthenticated connection stayed usable");
    }
  }

  @Test
  void authTimeoutClosesWithTimeout() throws Exception {
    try (TestClient c = gw.connect()) {
      long t0 = System.nanoTime();
      assertError(c.read(), 0, ErrorCode.TIMEOUT, true);
      assertTrue(c.closedByServer());
      assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(1500), "not before auth-timeout");
    }
  }

  @Test
  void badTokenIsFatalAuthFailed() throws Exception {
    try (TestClient c = gw.connect()) {
      c.send(Envelopes.auth(1, "v1.not.a.token", "t"));
      assertError(c.read(), 1, ErrorCode.AUTH_FAILED, true);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void framesBeforeAuthOkAreStashedUpToTheCapacityThenRateLimited() throws Exception {
    gw.users.answerConnect = false;
    try (TestClient c = gw.connect()) {
      // pipelined: Auth, then 6 heartbeats while the entity has not answered the Connect; capacity is 4
      c.write(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
      for (int i = 0; i < 6; i++) c.write(Envelopes.heartbeat(10 + i, 0));
      c.flush();
      UserEntity.Connect connect = gw.users.next(UserEntity.Connect.class);
      for (long id : new long[] {14, 15}) { // the two beyond the capacity are refused at once
        Envelope e = c.read();
        assertError(e, id, ErrorCode.RATE_LIMITED, false);
        assertEquals(321, e.getError().getRetryAfterMs());
      }
      connect.replyTo().tell(new UserEntity.Connected(0, 0));
      assertTrue(c.read().hasAuthOk());
      java.util.Set<Long> answered = new java.util.TreeSet<>();
      for (int i = 0; i < 4; i++) {
        Envelope e = c.read();
        assertTrue(e.hasHeartbeat(), () -> "a held heartbeat is served after AuthOk: " + e);
        answered.add(e.getRequestId());
      }
      assertEquals(java.util.Set.of(10L, 11L, 12L, 13L), answered);
    }
  }

  @Test
  void theConnectCarriesTheTimeTheAuthWasAcceptedAndHeartbeatsSendNone() throws Exception {
    long before = System.currentTimeMillis();
    try (TestClient c = gw.connect()) {
      c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
      UserEntity.Connect first = gw.users.next(UserEntity.Connect.class);
      assertTrue(c.read().hasAuthOk());
      long after = System.currentTimeMillis();
      assertTrue(first.sessionStartedAt() >= before && first.sessionStartedAt() <= after, "auth acceptance time");
      assertStillServing(c, 2);
      assertStillServing(c, 3);
      c.send(Envelopes.ack(4, 0)); // a command that does reach the entity, to know the heartbeats' would have
      assertInstanceOf(UserEntity.AckKey.class, gw.users.next(UserEntity.Command.class),
          "no Connect (nor anything else) for the heartbeats");
    }
  }

  @Test
  void sessionReplacedClosesTheConnection() throws Exception {
    try (TestClient c = gw.connect()) {
      c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
      UserEntity.Connect connect = gw.users.next(UserEntity.Connect.class);
      assertTrue(c.read().hasAuthOk());
      connect.session().tell(new UserEntity.SessionReplaced("alice", "phone"));
      assertError(c.read(), 0, ErrorCode.SESSION_REPLACED, true);
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void syncKeyAtOrAbove2To63IsAnsweredByTheGateway() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.send(Envelopes.sync(2, -1L, 0)); // uint64 max on the wire
      Envelope e = c.read();
      assertError(e, 2, ErrorCode.BAD_REQUEST, false);
      assertTrue(e.getError().getReason().contains("sync key 18446744073709551615 is ahead of the inbox"),
          e.getError().getReason());
      c.send(Envelopes.sync(3, Long.MIN_VALUE, 0)); // 2^63
      Envelope e2 = c.read();
      assertError(e2, 3, ErrorCode.BAD_REQUEST, false);
      assertTrue(e2.getError().getReason().contains("9223372036854775808"), e2.getError().getReason());
      assertEquals(0, gw.users.syncs.get(), "the entity never sees a negative key");
    }
  }

  @Test
  void ackKeyAtOrAbove2To63IsSentAsLongMax() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.send(Envelopes.ack(2, -5L));
      UserEntity.AckKey ack = gw.users.next(UserEntity.AckKey.class);
      assertEquals(Long.MAX_VALUE, ack.key());
      c.send(Envelopes.ack(3, 7));
      assertEquals(7, gw.users.next(UserEntity.AckKey.class).key());
    }
  }

  @Test
  void entityRejectionsKeepTheirCodeAndRetryAfter() throws Exception {
    gw.users.policy = cmd -> cmd instanceof UserEntity.SendMessage s
        ? new UserEntity.SendRejected(s.clientMsgId(), ErrorCode.RATE_LIMITED, "too many pending", 250)
        : new UserEntity.SyncFailed(ErrorCode.BAD_REQUEST, "sync key 9 is ahead of the inbox (latest 3)", 0);
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.send(Envelopes.send(2, "m1", "bob", Envelopes.text("hi")));
      Envelope e = c.read();
      assertError(e, 2, ErrorCode.RATE_LIMITED, false);
      assertEquals(250, e.getError().getRetryAfterMs());
      c.send(Envelopes.sync(3, 9, 0));
      Envelope s = c.read();
      assertError(s, 3, ErrorCode.BAD_REQUEST, false);
      assertEquals("sync key 9 is ahead of the inbox (latest 3)", s.getError().getReason());
    }
  }

  @Test
  void anEntityThatDoesNotAnswerGetsUnavailableWithTheConfiguredRetryAfter() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.send(Envelopes.send(2, "m1", "bob", Envelopes.text("hi")));
      Envelope e = c.read();
      assertError(e, 2, ErrorCode.UNAVAILABLE, false);
      assertEquals(1234, e.getError().getRetryAfterMs());
      assertStillServing(c, 3);
    }
  }

  @Test
  void sendAckAndSyncResultAreMapped() throws Exception {
    gw.users.policy = cmd -> cmd instanceof UserEntity.SendMessage s
        ? new UserEntity.SendAccepted(s.clientMsgId(), 4, 1234L)
        : new UserEntity.SyncOk(List.of(), 4, false, 4);
    try (TestClient c = gw.authenticated("alice", "phone")) {
      c.send(Envelopes.send(2, "m1", "bob", Envelopes.text("hi")));
      Envelope ack = c.read();
      assertEquals(2, ack.getRequestId());
      assertEquals("m1", ack.getSendAck().getClientMsgId());
      assertEquals(4, ack.getSendAck().getSeq());
      assertEquals(1234L, ack.getSendAck().getServerTs());
      c.send(Envelopes.sync(3, 4, 0));
      Envelope r = c.read();
      assertEquals(3, r.getRequestId());
      assertEquals(4, r.getSyncResult().getSyncKey());
      assertFalse(r.getSyncResult().getHasMore());
    }
  }
}
