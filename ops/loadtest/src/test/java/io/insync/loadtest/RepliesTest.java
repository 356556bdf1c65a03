package io.insync.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.insync.core.codec.Envelopes;
import io.insync.protocol.AuthOk;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.SendAck;
import io.insync.protocol.SyncResult;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The verdicts the scenarios' checks compare to "ok". */
class RepliesTest {
  static Item item(long seq, String from, long n) {
    String id = Replies.clientMsgId(from, n);
    return Item.newBuilder().setSeq(seq).setFrom(from).setTo("b").setClientMsgId(id)
        .setContent(Envelopes.text(Replies.textFor(id))).build();
  }

  static Envelope page(long syncKey, boolean hasMore, Item... items) {
    SyncResult.Builder r = SyncResult.newBuilder().setSyncKey(syncKey).setHasMore(hasMore);
    for (Item i : items) r.addItems(i);
    return Envelope.newBuilder().setRequestId(5).setSyncResult(r).build();
  }

  @Test
  void aPageIsRightOnlyIfItContinuesExactlyFromTheKey() {
    // after key 10, messages 4..6 of a are expected
    assertEquals(Replies.OK, Replies.page(page(13, false, item(11, "a", 4), item(12, "a", 5), item(13, "a", 6)), 10, "a", 4, 6));
    assertEquals(Replies.OK, Replies.page(page(12, true, item(11, "a", 4), item(12, "a", 5)), 10, "a", 4, 6));
    assertEquals("item seq 12, expected 11", Replies.page(page(12, false, item(12, "a", 4)), 10, "a", 4, 4));
    assertEquals("item 11 client_msg_id a#3, expected a#4", Replies.page(page(11, false, item(11, "a", 3)), 10, "a", 4, 4));
    assertEquals("item 11 from c, expected a", Replies.page(page(11, false, item(11, "c", 4)), 10, "a", 4, 4));
    assertTrue(Replies.page(page(12, false, item(11, "a", 4), item(12, "a", 5)), 10, "a", 4, 4).contains("beyond"));
    assertEquals("sync ended at message 4 of 6 (has_more false)", Replies.page(page(11, false, item(11, "a", 4)), 10, "a", 4, 6));
    assertEquals("sync_key 12, expected 11", Replies.page(page(12, false, item(11, "a", 4)), 10, "a", 4, 4));
    assertEquals("empty page with has_more true", Replies.page(page(10, true), 10, "a", 4, 6));
    Item changed = item(11, "a", 4).toBuilder().setContent(Envelopes.text("something else")).build();
    assertEquals("item 11 content differs from what was sent", Replies.page(page(11, false, changed), 10, "a", 4, 4));
  }

  @Test
  void acksAuthAndHeartbeats() {
    Envelope ack = Envelope.newBuilder().setRequestId(3)
        .setSendAck(SendAck.newBuilder().setClientMsgId("a#1").setSeq(1)).build();
    assertEquals(Replies.OK, Replies.sendAck(ack, "a#1"));
    assertEquals("SendAck client_msg_id a#1, expected a#2", Replies.sendAck(ack, "a#2"));
    assertEquals("Error RATE_LIMITED (busy), expected SendAck",
        Replies.sendAck(Envelopes.error(3, ErrorCode.RATE_LIMITED, "busy", 500, false), "a#1"));
    Envelope ok = Envelope.newBuilder().setAuthOk(AuthOk.newBuilder().setUserId("u").setLatestSeq(4)).build();
    assertEquals(Replies.OK, Replies.authOk(ok, "u", 4));
    assertEquals(Replies.OK, Replies.authOk(ok, "u", -1));
    assertNotEquals(Replies.OK, Replies.authOk(ok, "u", 0));
    assertNotEquals(Replies.OK, Replies.authOk(ok, "v", 4));
    assertEquals(Replies.OK, Replies.heartbeat(Envelopes.heartbeat(2, 7), 7));
    assertEquals("Heartbeat latest_seq 7, expected 0", Replies.heartbeat(Envelopes.heartbeat(2, 7), 0));
    assertEquals("SEND_ACK, expected Heartbeat", Replies.heartbeat(ack, 0));
  }

  @Test
  void messagesAndParameters() {
    assertEquals(3, Replies.requestId(ack3()));
    assertEquals(-1, Replies.requestId(new byte[] {(byte) 0xff, (byte) 0xff}));
    assertThrows(IllegalArgumentException.class, () -> Replies.parse(new byte[] {(byte) 0xff, (byte) 0xff}));
    assertEquals(Duration.ofMillis(500), LoadParams.duration("500ms"));
    assertEquals(Duration.ofMillis(1500), LoadParams.duration("1.5s"));
    assertEquals(Duration.ofMinutes(2), LoadParams.duration("2m"));
    assertEquals(Duration.ofSeconds(7), LoadParams.duration("7"));
    assertThrows(IllegalArgumentException.class, () -> LoadParams.duration("soon"));
  }

  private static byte[] ack3() {
    return Envelope.newBuilder().setRequestId(3).setSendAck(SendAck.newBuilder().setClientMsgId("x")).build().toByteArray();
  }
}
