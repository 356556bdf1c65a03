package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.cluster.auth.RevocationView;
import io.insync.cluster.flags.FlagView;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway's side of bans and revocations: an Auth whose token the node's copy refuses gets a fatal
 * {@code AUTH_FAILED} with the reason before anything else happens; an accepted session is reported to the
 * revocations (with its token's issue time) and forgotten when it ends, and closed with {@code AUTH_FAILED} when
 * a revocation arriving later covers it.
 */
class SessionRevocationTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** A node's copy with refused users, recording the sessions it was told of. */
  static final class Stub implements RevocationView {
    final Map<String, String> refused = new ConcurrentHashMap<>();
    final Map<String, ActorRef<UserEntity.DeviceEvent>> admitted = new ConcurrentHashMap<>();
    final Map<String, Instant> issuedAt = new ConcurrentHashMap<>();

    @Override
    public Optional<String> refusal(String user, String device, Instant issued, Instant now) {
      return Optional.ofNullable(refused.get(user));
    }

    @Override
    public void admitted(String user, String device, Instant issued, ActorRef<UserEntity.DeviceEvent> session) {
      admitted.put(user + "/" + device, session);
      issuedAt.put(user + "/" + device, issued);
    }

    @Override
    public void gone(String user, ActorRef<UserEntity.DeviceEvent> session) {
      admitted.values().remove(session);
    }
  }

  @Test
  void aRefusedTokenGetsAFatalAuthFailedWithTheReason() throws Exception {
    Stub stub = new Stub();
    stub.refused.put("mallory", "user banned: spam");
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.TCP, "", FlagView.NONE, FlaggedSyncPage.NONE, stub);
         TestClient c = gw.connect()) {
      c.send(Envelopes.auth(1, GatewayFixture.token("mallory", "phone"), "test"));
      Envelope e = c.read();
      assertEquals(ErrorCode.AUTH_FAILED, e.getError().getCode(), () -> "got " + e);
      assertEquals("user banned: spam", e.getError().getReason());
      assertTrue(e.getError().getFatal());
      assertTrue(c.closedByServer());
      assertTrue(stub.admitted.isEmpty(), "a refused session is never admitted");
    }
  }

  @Test
  void anAdmittedSessionIsReportedAndClosedWhenALaterRevocationCoversIt() throws Exception {
    Stub stub = new Stub();
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.TCP, "", FlagView.NONE, FlaggedSyncPage.NONE, stub);
         TestClient alice = gw.authenticated("alice", "phone")) {
      awaitTrue(() -> stub.admitted.containsKey("alice/phone"));
      assertEquals(Instant.EPOCH, stub.issuedAt.get("alice/phone"), "a v1 token: issued at the epoch");
      // what Revocations does on every node when a ban or revocation covers the session
      stub.admitted.get("alice/phone").tell(new UserEntity.LoggedOut("alice", "phone", ErrorCode.AUTH_FAILED,
          "token revoked (issued before 2026-12-04T00:00:00Z; get a new one)"));
      Envelope e = alice.read();
      assertEquals(ErrorCode.AUTH_FAILED, e.getError().getCode(), () -> "got " + e);
      assertTrue(e.getError().getReason().startsWith("token revoked"), e.getError().getReason());
      assertTrue(e.getError().getFatal());
      assertTrue(alice.closedByServer());
      awaitTrue(() -> !stub.admitted.containsKey("alice/phone"));
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier c) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!c.getAsBoolean() && System.nanoTime() < until) Thread.sleep(5);
    assertTrue(c.getAsBoolean());
  }
}
