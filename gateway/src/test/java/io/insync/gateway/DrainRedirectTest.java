package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An operator's drain at the gateway ({@link TcpGateway#redirectOver}): unlike a leave, the listeners stay
 * open and nothing is closed; each open connection is sent the Redirect at its own moment over the window,
 * every new connection at once; {@link TcpGateway#endRedirect()} stops the sends not yet made.
 */
@ParameterizedClass
@EnumSource(Transport.class)
class DrainRedirectTest {
  @Parameter
  Transport transport;

  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static final Envelope REDIRECT = Envelopes.redirect(List.of("127.0.0.1:7410"),
      List.of("ws://127.0.0.1:7411/sync"), "this node is being drained", 1000);

  @Test
  void theRedirectsAreSpreadOverTheWindowAndNewConnectionsGetOneAtOnce() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "")) {
      List<TestClient> clients = new ArrayList<>();
      for (int i = 0; i < 3; i++) clients.add(gw.authenticated("u" + i, "phone"));
      LeaveTest.waitForConnections(gw.gateway, 3);
      long t0 = System.nanoTime();
      assertEquals(3, gw.gateway.redirectOver(REDIRECT, Duration.ofMillis(900)));
      long last = 0;
      for (TestClient c : clients) {
        Envelope e = c.read();
        assertTrue(e.hasRedirect(), () -> "expected Redirect, got " + e);
        assertEquals(0, e.getRequestId(), "a push");
        assertEquals(List.of("127.0.0.1:7410"), e.getRedirect().getTcpList());
        last = Math.max(last, System.nanoTime() - t0);
      }
      // three connections over 900 ms: at 0, 300 and 600 ms
      assertTrue(last >= TimeUnit.MILLISECONDS.toNanos(550), "spread, not all at once: last after " + last / 1_000_000 + " ms");
      for (TestClient c : clients) {
        c.send(Envelopes.heartbeat(2, 0));
        assertTrue(c.read().hasHeartbeat(), "a drained connection is still served until its client moves");
      }
      try (TestClient late = gw.connect()) {
        Envelope e = late.read();
        assertTrue(e.hasRedirect(), () -> "a connection opened while draining is told at once, got " + e);
        assertEquals(4, gw.gateway.openConnections(), "the drain closes nothing: clients move by themselves");
      }
      for (TestClient c : clients) c.close();
    }
  }

  @Test
  void endRedirectStopsTheRedirectsNotYetSent() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, transport, "");
         TestClient a = gw.authenticated("alice", "phone");
         TestClient b = gw.authenticated("bob", "phone")) {
      LeaveTest.waitForConnections(gw.gateway, 2);
      CompletableFuture<Envelope> fromA = readAsync(a);
      CompletableFuture<Envelope> fromB = readAsync(b);
      long t0 = System.nanoTime();
      // two connections over 4 s: one at once, the other at 2 s
      gw.gateway.redirectOver(REDIRECT, Duration.ofSeconds(4));
      CompletableFuture.anyOf(fromA, fromB).get(5, TimeUnit.SECONDS);
      gw.gateway.endRedirect();
      boolean aFirst = fromA.isDone();
      assertTrue(aFirst ^ fromB.isDone(), "one told at once, the other not yet");
      assertTrue((aFirst ? fromA : fromB).get().hasRedirect());
      // past the second one's moment: had it been sent, it would come before the heartbeat's answer
      long wait = TimeUnit.MILLISECONDS.toNanos(2500) - (System.nanoTime() - t0);
      if (wait > 0) Thread.sleep(wait / 1_000_000);
      TestClient other = aFirst ? b : a;
      other.send(Envelopes.heartbeat(2, 0));
      Envelope next = (aFirst ? fromB : fromA).get(5, TimeUnit.SECONDS);
      assertTrue(next.hasHeartbeat(), () -> "the drain was undone: no Redirect, got " + next);
      try (TestClient late = gw.authenticated("carol", "phone")) {
        // authenticated() asserts that AuthOk is the first frame: no Redirect came before it
        assertEquals(3, gw.gateway.openConnections(), "a new connection is served again");
      }
    }
  }

  private static CompletableFuture<Envelope> readAsync(TestClient c) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return c.read();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
  }
}
