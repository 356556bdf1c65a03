package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.PresenceProtocol;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Heartbeats answered by the session (no entity ask), and the node's presence directory:
 * sessions in it from their accepted Auth until they stop, found by an entity's Lookup.
 */
class PresenceTest {
  static final ActorTestKit kit = ActorTestKit.create();
  GatewayFixture gw;

  @BeforeEach
  void start() throws Exception {
    gw = new GatewayFixture(kit, "");
  }

  @AfterEach
  void stop() {
    gw.close();
  }

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static long heartbeat(TestClient c, long requestId) throws Exception {
    c.send(Envelopes.heartbeat(requestId, 0));
    Envelope hb = c.read();
    assertTrue(hb.hasHeartbeat(), () -> "expected a Heartbeat answer, got " + hb);
    assertEquals(requestId, hb.getRequestId());
    return hb.getHeartbeat().getLatestSeq();
  }

  /** Polls (every 20 ms, at most 5 s) until the directory holds {@code n} sessions of {@code user}. */
  private void awaitSessions(String user, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (gw.presence.sessionsOf(user).size() != n && System.nanoTime() < deadline) Thread.sleep(20);
    assertEquals(n, gw.presence.sessionsOf(user).size(), () -> "sessions of " + user + ": " + gw.presence.sessionsOf(user));
  }

  @Test
  void aHeartbeatIsAnsweredWithTheLatestSeqTheSessionKnowsWithoutAskingTheEntity() throws Exception {
    gw.users.latestSeq = 3;
    try (TestClient c = gw.connect()) {
      c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
      UserEntity.Connect connect = gw.users.next(UserEntity.Connect.class);
      assertEquals(3, c.read().getAuthOk().getLatestSeq());
      assertEquals(3, heartbeat(c, 2), "from the Connected at auth");
      // the entity pushes new items: the Notify, then heartbeats carry the new seq
      connect.session().tell(new UserEntity.NewItems("alice", 7, List.of()));
      Envelope notify = c.read();
      assertEquals(7, notify.getNotify().getLatestSeq());
      assertEquals(7, heartbeat(c, 3));
      // an older push (reordered) never lowers it
      connect.session().tell(new UserEntity.NewItems("alice", 5, List.of()));
      c.read();
      assertEquals(7, heartbeat(c, 4));
      // the fake entity saw the Connect and nothing after it
      assertEquals(null, gw.users.received.poll(200, TimeUnit.MILLISECONDS));
    }
  }

  @Test
  void heartbeatsAreAnsweredWhileTheEntityWouldNotAnswer() throws Exception {
    try (TestClient c = gw.authenticated("alice", "phone")) {
      gw.users.answerConnect = false; // the entity is gone (passivated, moving): heartbeats still answered
      for (int i = 2; i < 6; i++) assertEquals(0, heartbeat(c, i));
    }
  }

  @Test
  void sessionsAreInTheDirectoryFromAuthUntilTheyClose() throws Exception {
    TestClient phone = gw.connect();
    phone.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
    UserEntity.Connect phoneConnect = gw.users.next(UserEntity.Connect.class);
    assertTrue(phone.read().hasAuthOk());
    try (TestClient tablet = gw.authenticated("alice", "tablet")) {
      UserEntity.Connect tabletConnect = gw.users.next(UserEntity.Connect.class);
      awaitSessions("alice", 2);
      assertTrue(gw.presence.sessionsOf("alice").contains(
          new PresenceProtocol.PresentSession("phone", phoneConnect.session(), phoneConnect.sessionStartedAt())));
      // an entity starting anywhere asks the directory's actor
      var directory = kit.spawn(gw.presence.behavior());
      TestProbe<UserEntity.SessionsFound> entity = kit.createTestProbe(UserEntity.SessionsFound.class);
      directory.tell(new PresenceProtocol.Lookup("alice", entity.getRef()));
      UserEntity.SessionsFound found = entity.receiveMessage();
      assertEquals("alice", found.user());
      assertEquals(java.util.Set.of(
              new PresenceProtocol.PresentSession("phone", phoneConnect.session(), phoneConnect.sessionStartedAt()),
              new PresenceProtocol.PresentSession("tablet", tabletConnect.session(), tabletConnect.sessionStartedAt())),
          java.util.Set.copyOf(found.sessions()));
      directory.tell(new PresenceProtocol.Lookup("bob", entity.getRef()));
      assertEquals(new UserEntity.SessionsFound("bob", List.of()), entity.receiveMessage());
      // one closes: it leaves the directory, the other stays
      phone.close();
      kit.createTestProbe().expectTerminated(phoneConnect.session(), Duration.ofSeconds(5));
      assertEquals(List.of(new PresenceProtocol.PresentSession("tablet", tabletConnect.session(),
          tabletConnect.sessionStartedAt())), gw.presence.sessionsOf("alice"));
    }
    awaitSessions("alice", 0);
    assertEquals(0, gw.presence.size());
  }

  @Test
  void aReplacedSessionLeavesTheDirectory() throws Exception {
    TestClient c = gw.connect();
    c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
    UserEntity.Connect connect = gw.users.next(UserEntity.Connect.class);
    assertTrue(c.read().hasAuthOk());
    connect.session().tell(new UserEntity.SessionReplaced("alice", "phone"));
    assertTrue(c.read().hasError());
    assertTrue(c.closedByServer());
    awaitSessions("alice", 0);
    c.close();
  }

  @Test
  void aSessionThatNeverAuthenticatedIsNeverInTheDirectory() throws Exception {
    try (TestClient c = gw.connect()) {
      c.send(Envelopes.auth(1, "v1.not.a.token", "t"));
      assertInstanceOf(Envelope.class, c.read());
      assertEquals(0, gw.presence.size());
    }
  }
}
