package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Session behaviour that needs its own gateway settings. */
@ParameterizedClass
@EnumSource(Transport.class)
class SessionEdgesTest {
  @Parameter
  Transport transport;

  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void aFullGatewayRefusesNewConnectionsWithTheConfiguredRetryAfter() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "max-connections = 1\n retry-after.gateway-full = 4321ms");
         TestClient first = gw.authenticated("alice", "phone");
         TestClient second = gw.connect()) {
      Envelope e = second.read();
      assertEquals(ErrorCode.UNAVAILABLE, e.getError().getCode());
      assertEquals("gateway is full, try another address", e.getError().getReason());
      assertEquals(4321, e.getError().getRetryAfterMs());
      assertTrue(e.getError().getFatal());
      assertTrue(second.closedByServer());
      first.send(Envelopes.heartbeat(2, 0));
      assertTrue(first.read().hasHeartbeat(), "the connection inside the limit is served");
    }
  }

  @Test
  void aConnectionClosedWhileAuthenticatingLeavesThePresenceDirectoryAndTheSessionStops() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "")) {
      gw.users.answerConnect = false;
      UserEntity.Connect connect;
      try (TestClient c = gw.connect()) {
        c.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
        connect = gw.users.next(UserEntity.Connect.class);
        assertEquals(1, gw.presence.sessionsOf("alice").size(), "registered before the Connect was sent");
      }
      // the entity watches the session (it learns of the stop that way, no Disconnect that could start it)
      kit.createTestProbe().expectTerminated(connect.session(), java.time.Duration.ofSeconds(5));
      assertEquals(List.of(), gw.presence.sessionsOf("alice"));
    }
  }

  @Test
  void anAnswerTooLargeForAFrameBecomesInternalAndTheConnectionStays() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "max-frame-bytes = 4 KiB")) {
      MessageContent big = new MessageContent("z".repeat(8 * 1024), new byte[0], "");
      gw.users.policy = cmd -> new UserEntity.SyncOk(
          List.of(new InboxItem(1, "bob", "alice", "pc", "c1", 1L, big, 0)), 1, false, 1);
      try (TestClient c = gw.authenticated("alice", "phone")) {
        c.send(Envelopes.sync(2, 0, 0));
        Envelope e = c.read();
        assertEquals(2, e.getRequestId());
        assertEquals(ErrorCode.INTERNAL, e.getError().getCode(), e.toString());
        c.send(Envelopes.heartbeat(3, 0));
        assertTrue(c.read().hasHeartbeat());
      }
    }
  }
}
