package io.insync.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import io.insync.persistence.user.InboxItem;
import io.insync.persistence.user.MessageContent;
import io.insync.persistence.user.UserEntity;
import io.insync.protocol.Ack;
import io.insync.protocol.Content;
import io.insync.protocol.Envelope;
import io.insync.protocol.ErrorCode;
import io.insync.protocol.Item;
import io.insync.protocol.Send;
import io.insync.protocol.Sync;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Wire}: the mapping between wire messages and entity messages. */
class WireTest {
  @Test
  void syncKeysAtOrAbove2To63AreRefusedWithTheirUnsignedValue() {
    assertNull(Wire.syncKeyProblem(0));
    assertNull(Wire.syncKeyProblem(Long.MAX_VALUE));
    assertEquals("sync key 9223372036854775808 is ahead of the inbox", Wire.syncKeyProblem(Long.MIN_VALUE));
    assertEquals("sync key 18446744073709551615 is ahead of the inbox", Wire.syncKeyProblem(-1));
  }

  @Test
  void markReadUpToAtOrAbove2To63IsClampedNotRefused() {
    Envelope huge = Envelope.newBuilder().setRequestId(1).setMarkRead(io.insync.protocol.MarkRead.newBuilder()
        .setPeer("bob").setUpTo(-1)).build();
    assertNull(Wire.userRequestProblem(huge));
    var kit = org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit.create();
    try {
      var cmd = (UserEntity.MarkRead) Wire.userCommand("d", huge, kit.createTestProbe(Object.class).getRef());
      assertEquals(Long.MAX_VALUE, cmd.upTo());
    } finally {
      kit.shutdownTestKit();
    }
    Envelope zero = Envelope.newBuilder().setRequestId(1).setMarkRead(io.insync.protocol.MarkRead.newBuilder()
        .setPeer("bob")).build();
    assertEquals("up_to must be a seq of the inbox (from 1)", Wire.userRequestProblem(zero));
    Envelope both = Envelope.newBuilder().setRequestId(1).setMarkRead(io.insync.protocol.MarkRead.newBuilder()
        .setPeer("bob").setGroup("g").setUpTo(3)).build();
    assertEquals("MarkRead names a peer or a group (one of them)", Wire.userRequestProblem(both));
  }

  @Test
  void ackKeysAtOrAbove2To63BecomeLongMax() {
    assertEquals(Long.MAX_VALUE, Wire.ackKey("d", Ack.newBuilder().setSyncKey(-1).build()).key());
    assertEquals(Long.MAX_VALUE, Wire.ackKey("d", Ack.newBuilder().setSyncKey(Long.MIN_VALUE).build()).key());
    assertEquals(42, Wire.ackKey("d", Ack.newBuilder().setSyncKey(42).build()).key());
  }

  @Test
  void maxItemsAbove2To31MeansAsManyAsTheServerGives() {
    assertEquals(Integer.MAX_VALUE, Wire.sync("d", Sync.newBuilder().setMaxItems(-1).build(), null).maxItems());
    assertEquals(0, Wire.sync("d", Sync.newBuilder().setSyncKey(5).build(), null).maxItems());
    assertEquals(5, Wire.sync("d", Sync.newBuilder().setSyncKey(5).build(), null).afterKey());
  }

  @Test
  void sendContentIsCopiedWhole() {
    Send send = Send.newBuilder().setClientMsgId("m1").setTo("bob")
        .setContent(Content.newBuilder().setText("hé").setType("img").setData(ByteString.copyFrom(new byte[] {1, 2})))
        .build();
    UserEntity.SendMessage m = Wire.sendMessage("phone", send, null);
    assertEquals("phone", m.device());
    assertEquals("m1", m.clientMsgId());
    assertEquals("bob", m.to());
    assertEquals("hé", m.content().text());
    assertEquals("img", m.content().type());
    assertEquals(2, m.content().data().length);
  }

  @Test
  void entityRejectionsBecomeNonFatalErrorsWithTheirCode() {
    Envelope e = Wire.sendResult(3, new UserEntity.SendRejected("m", ErrorCode.RATE_LIMITED, "busy", 300));
    assertEquals(3, e.getRequestId());
    assertEquals(ErrorCode.RATE_LIMITED, e.getError().getCode());
    assertEquals(300, e.getError().getRetryAfterMs());
    assertFalse(e.getError().getFatal());
    Envelope s = Wire.syncResult(4, new UserEntity.SyncFailed(ErrorCode.INTERNAL, "oops", 50));
    assertEquals(ErrorCode.INTERNAL, s.getError().getCode());
    assertEquals(50, s.getError().getRetryAfterMs());
  }

  @Test
  void itemsAndNotifiesCarryEveryField() {
    InboxItem i = new InboxItem(7, "alice", "bob", "phone", "m7", 99L, new MessageContent("t", new byte[0], ""), 3);
    Item item = Wire.item(i);
    assertEquals(7, item.getSeq());
    assertEquals("alice", item.getFrom());
    assertEquals("bob", item.getTo());
    assertEquals("phone", item.getFromDevice());
    assertEquals("m7", item.getClientMsgId());
    assertEquals(99L, item.getServerTs());
    assertEquals("t", item.getContent().getText());
    Envelope n = Wire.notify(new UserEntity.NewItems("bob", 7, List.of(i)));
    assertEquals(0, n.getRequestId(), "pushes carry request id 0");
    assertEquals(7, n.getNotify().getLatestSeq());
    assertEquals(item, n.getNotify().getItems(0));
  }
}
