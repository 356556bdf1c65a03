package io.insync.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.auth.TokenSigner;
import io.insync.core.codec.Envelopes;
import io.insync.persistence.cassandra.CassandraExtension;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** One real node (its own JVM) on the real Cassandra the test run started. */
@ExtendWith(CassandraExtension.class)
class SendSyncIT {
  static NodeProcess node;

  @BeforeAll
  static void startNode() throws Exception {
    node = new NodeProcess(CassandraExtension.host() + ":" + CassandraExtension.port(), "send-sync").start();
  }

  @AfterAll
  static void stopNode() throws Exception {
    if (node != null) node.close();
  }

  static String unique(String name) {
    return name + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void messagesReachTheRecipientAndTheSendersOtherDevices() throws Exception {
    String alice = unique("alice");
    String bob = unique("bob");
    try (TestDevice alicePhone = new TestDevice(alice, "phone", node.tcpPort()).connect();
        TestDevice aliceLaptop = new TestDevice(alice, "laptop", node.tcpPort()).connect();
        TestDevice bobPhone = new TestDevice(bob, "phone", node.tcpPort()).connect()) {
      SendAck a1 = alicePhone.client.send("m1", bob, Envelopes.text("hello bob")).get(20, TimeUnit.SECONDS);
      SendAck a2 = alicePhone.client.send("m2", bob, Envelopes.text("are you there?")).get(20, TimeUnit.SECONDS);
      assertEquals(1, a1.getSeq());
      assertEquals(2, a2.getSeq());
      SendAck b1 = bobPhone.client.send("r1", alice, Envelopes.text("yes")).get(20, TimeUnit.SECONDS);
      assertEquals(3, b1.getSeq(), "bob's inbox: two received, then his own");

      List<Item> bobItems = bobPhone.awaitItems(3, Duration.ofSeconds(20));
      assertEquals(List.of(1L, 2L, 3L), bobItems.stream().map(Item::getSeq).toList());
      assertEquals("hello bob", bobItems.get(0).getContent().getText());
      assertEquals(alice, bobItems.get(0).getFrom());
      assertEquals("phone", bobItems.get(0).getFromDevice());
      assertEquals("m1", bobItems.get(0).getClientMsgId());
      assertTrue(bobItems.get(0).getServerTs() > 0);

      // the sender's other device sees both sent messages and bob's answer, in order
      List<Item> laptop = aliceLaptop.awaitItems(3, Duration.ofSeconds(20));
      assertEquals(List.of("hello bob", "are you there?", "yes"),
          laptop.stream().map(i -> i.getContent().getText()).toList());
      assertEquals(List.of(1L, 2L, 3L), laptop.stream().map(Item::getSeq).toList());
    }
  }

  @Test
  void aMessageSentOverTcpIsNotifiedAndSyncedOverWebSocketAndTheAnswerComesBack() throws Exception {
    String alice = unique("alice");
    String bob = unique("bob");
    try (TestDevice alicePhone = new TestDevice(alice, "phone", node.tcpPort()).connect();
        WsDevice bobBrowser = new WsDevice(bob, "browser", node.wsPort()).authenticate()) {
      alicePhone.client.send("t1", bob, Envelopes.text("over tcp 1")).get(20, TimeUnit.SECONDS);
      alicePhone.client.send("t2", bob, Envelopes.text("over tcp 2")).get(20, TimeUnit.SECONDS);

      // notify, then pull: the push arrives as a binary message with request_id 0
      Envelope notify = bobBrowser.await(e -> e.hasNotify() && e.getNotify().getLatestSeq() >= 2, Duration.ofSeconds(20));
      assertEquals(0, notify.getRequestId());
      Envelope synced = bobBrowser.call(Envelopes.sync(bobBrowser.nextId(), 0, 0));
      assertTrue(synced.hasSyncResult(), () -> "expected a SyncResult, got " + synced);
      SyncResult r = synced.getSyncResult();
      assertEquals(List.of("over tcp 1", "over tcp 2"), r.getItemsList().stream().map(i -> i.getContent().getText()).toList());
      assertEquals(List.of(1L, 2L), r.getItemsList().stream().map(Item::getSeq).toList());
      assertEquals(alice, r.getItems(0).getFrom());
      assertEquals(2, r.getSyncKey());
      bobBrowser.send(Envelopes.ack(bobBrowser.nextId(), r.getSyncKey()));
      Envelope hb = bobBrowser.call(Envelopes.heartbeat(bobBrowser.nextId(), 0));
      assertEquals(2, hb.getHeartbeat().getLatestSeq());

      // and back: a Send over WebSocket reaches the TCP device
      Envelope ack = bobBrowser.call(Envelopes.send(bobBrowser.nextId(), "w1", alice, Envelopes.text("over ws")));
      assertTrue(ack.hasSendAck(), () -> "expected a SendAck, got " + ack);
      assertEquals(3, ack.getSendAck().getSeq(), "bob's inbox: two received, then his own");
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (alicePhone.items().stream().noneMatch(i -> i.getClientMsgId().equals("w1")) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      Item reply = alicePhone.items().stream().filter(i -> i.getClientMsgId().equals("w1")).findFirst()
          .orElseThrow(() -> new AssertionError("alice's phone never got the WebSocket message: " + alicePhone.items()));
      assertEquals("over ws", reply.getContent().getText());
      assertEquals(bob, reply.getFrom());
      assertEquals("browser", reply.getFromDevice());
    }
  }

  @Test
  void aRetriedClientMsgIdCreatesNoDuplicate() throws Exception {
    String carol = unique("carol");
    String dave = unique("dave");
    try (TestDevice sender = new TestDevice(carol, "phone", node.tcpPort()).connect()) {
      SendAck first = sender.client.send("same-id", dave, Envelopes.text("once")).get(20, TimeUnit.SECONDS);
      SendAck again = sender.client.send("same-id", dave, Envelopes.text("once")).get(20, TimeUnit.SECONDS);
      assertEquals(first.getSeq(), again.getSeq());
      assertEquals(first.getServerTs(), again.getServerTs());
    }
    // a new connection (as after a crash of the client) retries once more
    try (TestDevice sender = new TestDevice(carol, "phone", node.tcpPort()).connect()) {
      SendAck third = sender.client.send("same-id", dave, Envelopes.text("once")).get(20, TimeUnit.SECONDS);
      assertEquals(1, third.getSeq());
    }
    try (TestDevice reader = new TestDevice(dave, "tablet", node.tcpPort()).connect()) {
      SyncResult r = reader.client.sync(0, 0).get(20, TimeUnit.SECONDS);
      assertEquals(1, r.getItemsCount(), "exactly one copy in the recipient's inbox");
      assertFalse(r.getHasMore());
    }
  }

  @Test
  void garbageKillsOnlyItsOwnConnection() throws Exception {
    String erin = unique("erin");
    String frank = unique("frank");
    try (TestDevice good = new TestDevice(erin, "phone", node.tcpPort()).connect();
        RawConnection bad = new RawConnection(node.tcpPort())) {
      // a frame whose body is not protobuf
      bad.sendRaw(new byte[] {0, 0, 0, 5, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff});
      Envelope error = bad.read();
      assertEquals(ErrorCode.BAD_FRAME, error.getError().getCode());
      assertTrue(error.getError().getFatal());
      assertTrue(bad.closedByServer(), "the bad connection is closed");

      SendAck ack = good.client.send("still-works", frank, Envelopes.text("fine")).get(20, TimeUnit.SECONDS);
      assertEquals(1, ack.getSeq());
    }
    try (RawConnection big = new RawConnection(node.tcpPort())) {
      big.sendRaw(new byte[] {0, (byte) 0x20, 0, 0}); // announces 2 MiB: over the 1 MiB limit
      assertEquals(ErrorCode.FRAME_TOO_LARGE, big.read().getError().getCode());
      assertTrue(big.closedByServer());
    }
  }

  @Test
  void unknownCommandsAndBadRequestsKeepTheConnection() throws Exception {
    String gina = unique("gina");
    try (RawConnection raw = new RawConnection(node.tcpPort())) {
      // field 99 of Envelope: a command from a newer client
      raw.sendRaw(new byte[] {0, 0, 0, 5, 0x08, 0x2a, (byte) 0x9a, 0x06, 0x00});
      Envelope unsupported = raw.read();
      assertEquals(ErrorCode.UNSUPPORTED, unsupported.getError().getCode());
      assertEquals(42, unsupported.getRequestId());

      raw.send(Envelopes.send(2, "x", "someone", Envelopes.text("too early")));
      assertEquals(ErrorCode.UNAUTHENTICATED, raw.read().getError().getCode());

      String token = TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(gina, "d", Instant.now().plusSeconds(60));
      raw.send(Envelopes.auth(3, token, "raw"));
      Envelope ok = raw.read();
      assertEquals(gina, ok.getAuthOk().getUserId());

      raw.send(Envelopes.send(4, "x", "not a valid id!", Envelopes.text("?")));
      Envelope bad = raw.read();
      assertEquals(ErrorCode.BAD_REQUEST, bad.getError().getCode());
      assertEquals(4, bad.getRequestId());

      raw.send(Envelopes.sync(5, 7, 0));
      assertEquals(ErrorCode.BAD_REQUEST, raw.read().getError().getCode(), "key ahead of the inbox");

      raw.send(Envelopes.heartbeat(6, 0));
      Envelope hb = raw.read();
      assertEquals(6, hb.getRequestId());
      assertTrue(hb.hasHeartbeat());
    }
  }

  @Test
  void aBadTokenIsRefusedAndClosed() throws Exception {
    try (RawConnection raw = new RawConnection(node.tcpPort())) {
      String forged = TokenSigner.fromSecret("not-the-secret").sign("mallory", "d", Instant.now().plusSeconds(60));
      raw.send(Envelopes.auth(1, forged, "raw"));
      Envelope e = raw.read();
      assertEquals(ErrorCode.AUTH_FAILED, e.getError().getCode());
      assertTrue(raw.closedByServer());
    }
  }

  @Test
  void manyMessagesStayInOrderAndGapless() throws Exception {
    String hank = unique("hank");
    String ivy = unique("ivy");
    int n = 300;
    try (TestDevice sender = new TestDevice(hank, "phone", node.tcpPort()).connect();
        TestDevice receiver = new TestDevice(ivy, "phone", node.tcpPort()).connect()) {
      var acks = new java.util.ArrayList<java.util.concurrent.CompletableFuture<SendAck>>();
      for (int i = 0; i < n; i++) acks.add(sender.client.send("m" + i, ivy, Envelopes.text("n" + i)));
      for (var f : acks) f.get(60, TimeUnit.SECONDS);
      List<Item> got = receiver.awaitItems(n, Duration.ofSeconds(60));
      Set<Long> seqs = new HashSet<>();
      for (int i = 0; i < n; i++) {
        assertEquals(i + 1, got.get(i).getSeq());
        assertEquals("n" + i, got.get(i).getContent().getText(), "delivered in send order");
        seqs.add(got.get(i).getSeq());
      }
      assertEquals(n, seqs.size());
    }
  }

  @Test
  void silentConnectionsTimeOut() throws Exception {
    try (RawConnection never = new RawConnection(node.tcpPort())) {
      Envelope e = never.read(); // auth-timeout is 2s on the test node
      assertEquals(ErrorCode.TIMEOUT, e.getError().getCode());
      assertTrue(never.closedByServer());
    }
    String jo = unique("jo");
    try (RawConnection idle = new RawConnection(node.tcpPort())) {
      String token = TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(jo, "d", Instant.now().plusSeconds(60));
      idle.send(Envelopes.auth(1, token, "raw"));
      assertTrue(idle.read().hasAuthOk());
      Envelope e = idle.read(); // idle-timeout is 6s: nothing sent, so the server closes
      assertEquals(ErrorCode.TIMEOUT, e.getError().getCode());
      assertTrue(idle.closedByServer());
    }
    // a client that heartbeats (every 2s, as AuthOk tells it) stays connected past the idle timeout:
    // checked all along a window longer than the idle timeout (6s), not once at its end
    try (TestDevice live = new TestDevice(jo, "phone", node.tcpPort()).connect()) {
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
      while (System.nanoTime() < until) {
        assertTrue(live.client.isConnected(), "a heartbeating client is never dropped as idle");
        Thread.sleep(50);
      }
      SendAck ack = live.client.send("after-idle", jo, Envelopes.text("still here")).get(10, TimeUnit.SECONDS);
      assertEquals(1, ack.getSeq());
    }
  }

  @Test
  void theSameDeviceConnectingAgainReplacesTheOlderSession() throws Exception {
    String kim = unique("kim");
    String token = TokenSigner.fromSecret(TokenSigner.DEV_SECRET).sign(kim, "phone", Instant.now().plusSeconds(60));
    try (RawConnection older = new RawConnection(node.tcpPort()); RawConnection newer = new RawConnection(node.tcpPort())) {
      older.send(Envelopes.auth(1, token, "raw"));
      assertTrue(older.read().hasAuthOk());
      newer.send(Envelopes.auth(1, token, "raw"));
      assertTrue(newer.read().hasAuthOk());
      Envelope replaced = older.read();
      assertEquals(ErrorCode.SESSION_REPLACED, replaced.getError().getCode());
      assertTrue(older.closedByServer());
      // the newer session is the one that gets pushes
      newer.send(Envelopes.send(2, "self-note", kim, Envelopes.text("note")));
      Envelope first = newer.read();
      Envelope second = newer.read();
      List<Envelope.CommandCase> got = List.of(first.getCommandCase(), second.getCommandCase());
      assertTrue(got.contains(Envelope.CommandCase.NOTIFY) && got.contains(Envelope.CommandCase.SEND_ACK), got.toString());
    }
  }
}
