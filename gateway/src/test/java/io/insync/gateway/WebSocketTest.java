package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** What only the WebSocket transport has: its frames, its HTTP side, and its closes. */
class WebSocketTest {
  static final ActorTestKit kit = ActorTestKit.create();

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  private static void assertFatal(Envelope e, ErrorCode code) {
    assertTrue(e.hasError(), () -> "expected an Error, got " + e);
    assertEquals(code, e.getError().getCode(), e.getError().getReason());
    assertEquals(0, e.getRequestId());
    assertTrue(e.getError().getFatal());
  }

  private static void assertStillServing(TestClient c, long requestId) throws IOException {
    c.send(Envelopes.heartbeat(requestId, 0));
    Envelope hb = c.read();
    assertTrue(hb.hasHeartbeat(), () -> "expected a Heartbeat answer, got " + hb);
    assertEquals(requestId, hb.getRequestId());
  }

  private static WsTestClient ws(GatewayFixture gw, String user) throws IOException {
    return (WsTestClient) gw.authenticated(user, "browser");
  }

  @Test
  void theExampleBytesOfTheProtocolPageAreAHeartbeat() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "");
         WsTestClient c = ws(gw, "alice")) {
      // docs/protocol.md, "WebSocket": Heartbeat with request id 3, no length prefix
      byte[] example = {0x08, 0x03, (byte) 0x92, 0x01, 0x00};
      assertArrayEquals(example, Envelopes.heartbeat(3, 0).toByteArray());
      c.sendFrame(true, WsTestClient.OP_BINARY, example);
      Envelope answer = c.read();
      assertTrue(answer.hasHeartbeat(), () -> "got " + answer);
      assertEquals(3, answer.getRequestId());
    }
  }

  @Test
  void aTextMessageGetsBadFrameThenClose1003AndOnlyThatConnectionCloses() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "");
         WsTestClient good = ws(gw, "alice"); WsTestClient bad = ws(gw, "bob")) {
      bad.sendFrame(true, WsTestClient.OP_TEXT, "{\"send\":{}}".getBytes(StandardCharsets.UTF_8));
      Envelope e = bad.read();
      assertFatal(e, ErrorCode.BAD_FRAME);
      assertTrue(e.getError().getReason().contains("binary"), e.getError().getReason());
      assertTrue(bad.closedByServer());
      assertEquals(1003, bad.closeStatus());
      assertStillServing(good, 2);
    }
  }

  @Test
  void bytesThatAreNotAnEnvelopeGetBadFrameThenClose1007() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "");
         WsTestClient good = ws(gw, "alice"); WsTestClient bad = ws(gw, "bob")) {
      bad.sendFrame(true, WsTestClient.OP_BINARY, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff});
      assertFatal(bad.read(), ErrorCode.BAD_FRAME);
      assertTrue(bad.closedByServer());
      assertEquals(1007, bad.closeStatus());
      assertStillServing(good, 2);
    }
  }

  @Test
  void aMessageOverMaxFrameBytesGetsFrameTooLargeThenClose1009() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "max-frame-bytes = 4 KiB");
         WsTestClient good = ws(gw, "alice"); WsTestClient bad = ws(gw, "bob")) {
      bad.send(Envelopes.send(2, "m1", "alice", Envelopes.text("x".repeat(6 * 1024))));
      Envelope e = bad.read();
      assertFatal(e, ErrorCode.FRAME_TOO_LARGE);
      assertTrue(e.getError().getReason().contains("4096"), e.getError().getReason());
      assertTrue(bad.closedByServer());
      assertEquals(1009, bad.closeStatus());
      assertEquals(0, gw.users.sends.get(), "nothing of the oversized message reached the entity");
      assertStillServing(good, 2);
    }
  }

  @Test
  void aFragmentedMessageIsJoinedUpToMaxFrameBytesAndRefusedBeyond() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "max-frame-bytes = 4 KiB");
         WsTestClient c = ws(gw, "alice"); WsTestClient big = ws(gw, "bob")) {
      byte[] hb = Envelopes.heartbeat(7, 0).toByteArray();
      c.sendFrame(false, WsTestClient.OP_BINARY, Arrays.copyOfRange(hb, 0, 2));
      c.sendFrame(true, WsTestClient.OP_CONTINUATION, Arrays.copyOfRange(hb, 2, hb.length));
      Envelope answer = c.read();
      assertTrue(answer.hasHeartbeat(), () -> "the two fragments are one Envelope: " + answer);
      assertEquals(7, answer.getRequestId());

      byte[] part = new byte[3 * 1024]; // two fragments of 3 KiB: each within the limit, together over it
      big.sendFrame(false, WsTestClient.OP_BINARY, part);
      big.sendFrame(true, WsTestClient.OP_CONTINUATION, part);
      assertFatal(big.read(), ErrorCode.FRAME_TOO_LARGE);
      assertTrue(big.closedByServer());
      assertEquals(1009, big.closeStatus());
      assertStillServing(c, 8);
    }
  }

  @Test
  void aPingIsAnsweredByAPongButDoesNotKeepTheConnectionAlive() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "idle-timeout = 1s");
         WsTestClient c = ws(gw, "alice")) {
      byte[] payload = {1, 2, 3};
      assertTrue(c.pingAnswered(payload), "Netty answers a ping with a pong of the same payload");
      long t0 = System.nanoTime();
      Thread pinger = new Thread(() -> {
        for (int i = 0; i < 25; i++) { // 5 s of pings, 5 per second
          try {
            Thread.sleep(200);
            c.sendFrame(true, WsTestClient.OP_PING, payload);
          } catch (InterruptedException | IOException e) {
            return;
          }
        }
      });
      pinger.start();
      Envelope e = c.read(); // skips the pongs
      pinger.interrupt();
      assertFatal(e, ErrorCode.TIMEOUT);
      long ms = (System.nanoTime() - t0) / 1_000_000;
      // had the pings counted, the connection would stay open while they come (5 s)
      assertTrue(ms < 4000, "closed after ~1 s although pings kept coming: " + ms + " ms");
      assertTrue(c.closedByServer());
    }
  }

  @Test
  void theConnectionLimitCountsBothTransports() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "max-connections = 1")) {
      TestClient tcp = gw.connect(Transport.TCP, 0);
      tcp.send(Envelopes.auth(1, GatewayFixture.token("alice", "phone"), "t"));
      assertTrue(tcp.read().hasAuthOk(), "the first connection is inside the limit");
      try (tcp; TestClient ws = gw.connect(Transport.WS, 0)) {
        Envelope e = ws.read();
        assertEquals(ErrorCode.UNAVAILABLE, e.getError().getCode());
        assertEquals("gateway is full, try another address", e.getError().getReason());
        assertTrue(e.getError().getFatal());
        assertTrue(ws.closedByServer());
        assertStillServing(tcp, 2);
      }
    }
  }

  @Test
  void anotherPathGets404AndTheEndpointKeepsWorking() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "")) {
      String head = httpGet(gw.wsAddress, "/nope", true);
      assertTrue(head.startsWith("HTTP/1.1 404"), head);
      try (TestClient c = gw.authenticated("alice", "browser")) {
        assertStillServing(c, 2);
      }
    }
  }

  @Test
  void aPlainHttpGetOnTheEndpointGets400AndTheEndpointKeepsWorking() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "");
         TestClient c = gw.authenticated("alice", "browser")) {
      String head = httpGet(gw.wsAddress, "/sync", false);
      assertTrue(head.startsWith("HTTP/1.1 400"), head);
      assertStillServing(c, 2);
    }
  }

  @Test
  void aConnectionThatNeverUpgradesIsClosedAfterTheAuthTimeout() throws Exception {
    try (GatewayFixture gw = new GatewayFixture(kit, Transport.WS, "auth-timeout = 1s");
         Socket s = new Socket()) {
      s.connect(gw.wsAddress, 5000);
      s.setSoTimeout(10_000);
      long t0 = System.nanoTime();
      assertEquals(-1, s.getInputStream().read());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 800 && ms < 5000, "closed after " + ms + " ms");
      assertEquals(0, gw.gateway.openConnections(), "an HTTP connection is not a session");
    }
  }

  /** The status line and headers the server answers to a GET of {@code path}. */
  private static String httpGet(InetSocketAddress address, String path, boolean upgrade) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(address, 5000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      String upgradeHeaders = upgrade
          ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              + "Sec-WebSocket-Version: 13\r\n"
          : "";
      out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + upgradeHeaders + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      return WsTestClient.readHttpHead(new DataInputStream(s.getInputStream()));
    }
  }
}
