package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A graceful leave at the gateway: the listeners close (new connections are refused), every open
 * connection gets a Redirect, the drain ends as soon as the clients have gone, and connections of
 * clients that do not move are closed after the grace with a fatal UNAVAILABLE.
 */
@ParameterizedClass
@EnumSource(Transport.class)
class LeaveTest {
  @Parameter
  Transport transport;

  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static final Envelope REDIRECT = Envelopes.redirect(List.of("127.0.0.1:7410", "127.0.0.1:7420"),
      List.of("ws://127.0.0.1:7411/sync", "ws://127.0.0.1:7421/sync"), "this node is leaving the cluster", 3000);

  @Test
  void everyConnectionIsRedirectedAndTheDrainEndsWhenTheClientsHaveMoved() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "")) {
      TestClient authed = gw.authenticated("alice", "phone");
      TestClient fresh = gw.connect(); // not authenticated yet: told too
      waitForConnections(gw.gateway, 2);
      gw.gateway.unbind();
      assertThrows(IOException.class, () -> gw.connect().read(), "no new connection once unbound");

      long t0 = System.nanoTime();
      var drained = gw.gateway.drain(REDIRECT, Duration.ofSeconds(3), 200).toCompletableFuture();
      for (TestClient c : List.of(authed, fresh)) {
        Envelope e = c.read();
        assertTrue(e.hasRedirect(), () -> "expected Redirect, got " + e);
        assertEquals(0, e.getRequestId(), "a push");
        assertEquals(List.of("127.0.0.1:7410", "127.0.0.1:7420"), e.getRedirect().getTcpList());
        assertEquals(List.of("ws://127.0.0.1:7411/sync", "ws://127.0.0.1:7421/sync"), e.getRedirect().getWebsocketList());
        assertEquals(3000, e.getRedirect().getGraceMs());
      }
      authed.send(Envelopes.heartbeat(2, 0));
      assertTrue(authed.read().hasHeartbeat(), "a connection is still served while its client moves");
      authed.close();
      fresh.close();
      assertEquals(2, (int) drained.get(5, TimeUnit.SECONDS), "both were told");
      assertTrue(System.nanoTime() - t0 < TimeUnit.MILLISECONDS.toNanos(2500),
          "the drain ended when the clients had gone, not at the grace");
      assertEquals(0, gw.gateway.openConnections());
    }
  }

  @Test
  void aClientThatDoesNotMoveIsClosedAfterTheGraceWithAFatalUnavailable() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "");
         TestClient stays = gw.authenticated("alice", "phone")) {
      waitForConnections(gw.gateway, 1);
      gw.gateway.unbind();
      long t0 = System.nanoTime();
      var drained = gw.gateway.drain(REDIRECT, Duration.ofMillis(400), 200).toCompletableFuture();
      assertTrue(stays.read().hasRedirect());
      Envelope last = stays.read();
      assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(390), "not before the grace");
      assertEquals(ErrorCode.UNAVAILABLE, last.getError().getCode(), () -> "got " + last);
      assertTrue(last.getError().getFatal());
      assertEquals(200, last.getError().getRetryAfterMs());
      assertTrue(stays.closedByServer());
      assertEquals(1, (int) drained.get(5, TimeUnit.SECONDS));
    }
  }

  static void waitForConnections(TcpGateway gateway, int n) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (gateway.openConnections() < n && System.nanoTime() < until) Thread.sleep(5);
    assertEquals(n, gateway.openConnections());
  }
}
